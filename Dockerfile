# syntax=docker/dockerfile:1
# MEXMA Search: one image for the web UI and the workers; compose picks the command per service.
#
#   docker build -t mexma-search .                                  # CPU torch (default)
#   docker build -t mexma-search:gpu --build-arg TORCH_VARIANT=cu128 .   # CUDA torch
#
# TORCH_VARIANT picks the torch build of TORCH_VERSION (the release constraints.txt pins):
# "cpu", a CUDA tag such as "cu128" (both from TORCH_INDEX_URL/<variant>), or "pypi" to take
# torch from the normal package index through constraints.txt (a local mirror, say).

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS builder
ARG TORCH_VARIANT=cpu
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_INPUT=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src

# 1) torch alone (the largest layer): changes only with TORCH_VARIANT / TORCH_VERSION
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --upgrade pip \
    && if [ "$TORCH_VARIANT" != "pypi" ]; then \
         pip install "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX_URL}/${TORCH_VARIANT}"; \
       fi

# 2) the dependencies, read from pyproject.toml: rebuilt only when it or constraints.txt change
COPY pyproject.toml constraints.txt ./
RUN --mount=type=cache,target=/root/.cache/pip \
    python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; print('\n'.join(deps))" \
        > /tmp/requirements.txt \
    && pip install -c constraints.txt -r /tmp/requirements.txt

# 3) the application itself (no dependency resolution left to do)
COPY . .
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --no-deps -c constraints.txt .


FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
ARG TORCH_VARIANT=cpu
LABEL org.opencontainers.image.title="MEXMA Search" \
      org.opencontainers.image.description="Self-hosted cross-lingual semantic search" \
      org.opencontainers.image.licenses="MIT" \
      io.mexma-search.torch-variant="${TORCH_VARIANT}"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    GRADIO_ANALYTICS_ENABLED=False \
    HF_HUB_OFFLINE=1 \
    MEXMA_DATA_DIR=/srv/mexma/data \
    MEXMA_MODELS_DIR=/srv/mexma/models \
    MEXMA_UPLOADS_DIR=/srv/mexma/uploads \
    MEXMA_HOST=0.0.0.0 \
    MEXMA_PORT=7860

# Tesseract for the OCR of scanned PDF pages, with the languages MEXMA_OCR_LANGUAGES names
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng \
       tesseract-ocr-spa tesseract-ocr-deu tesseract-ocr-fra \
    && rm -rf /var/lib/apt/lists/*
ENV MEXMA_OCR_LANGUAGES=eng,spa,deu,fra

# a fixed, unprivileged uid/gid: give shared storage (NFS) to 10001:10001. An empty named
# volume mounted on /srv/mexma/* starts with the owner these directories have here.
RUN groupadd --system --gid 10001 mexma \
    && useradd --system --uid 10001 --gid mexma --create-home --home-dir /home/mexma mexma \
    && mkdir -p /srv/mexma/data /srv/mexma/models /srv/mexma/uploads \
    && chown -R mexma:mexma /srv/mexma
COPY --from=builder /opt/venv /opt/venv

USER mexma:mexma
WORKDIR /home/mexma
EXPOSE 7860

# probes the web UI; compose disables it for the worker services, which serve no HTTP
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=5 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/' % os.environ.get('MEXMA_PORT', '7860'), timeout=5)"]

CMD ["mexma-search", "serve"]
