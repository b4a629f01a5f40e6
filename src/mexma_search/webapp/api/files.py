"""Files in answers (the exports to download) and in requests (uploads)."""

from __future__ import annotations

from pathlib import Path

from fastapi import UploadFile
from fastapi.responses import Response

from mexma_search.app.export import MEDIA_TYPES, ExportFormat
from mexma_search.webapp.api.errors import ApiError

COPY_BLOCK = 1 << 20


def attachment(text: str, fmt: ExportFormat, stem: str) -> Response:
    """``text`` as a download called ``<stem>.<fmt>``."""
    return Response(
        text,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'},
    )


def file_responses(*formats: ExportFormat) -> dict[int | str, dict[str, object]]:
    """The OpenAPI description of a route answering a file in one of ``formats``."""
    return {200: {"content": {MEDIA_TYPES[fmt]: {} for fmt in formats}}}


def receive_upload(upload: UploadFile, directory: Path, limit: int) -> Path:
    """The uploaded file, copied under ``directory`` with its own name; 413 past ``limit``
    bytes."""
    name = Path(upload.filename or "").name
    if not name:
        raise ApiError(422, "each uploaded file needs a file name")
    directory.mkdir()
    path = directory / name
    with path.open("wb") as target:
        copied = 0
        while block := upload.file.read(COPY_BLOCK):
            copied += len(block)
            if copied > limit:
                raise ApiError(413, f"{name} is larger than the upload limit ({limit >> 20} MB)")
            target.write(block)
    return path
