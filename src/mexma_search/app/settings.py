"""The one settings object of the application (environment variables prefixed ``MEXMA_``).

Every other module receives its configuration from here; nothing else reads ``os.environ``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mexma_search.encoder.config import DEFAULT_MODEL_NAME

DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")
DATABASE_SCHEMES = ("sqlite", "postgresql")
OCR_LANGUAGE = re.compile(r"^[a-z]{3}(_[a-z]+)?$")


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "mexma-search"


class Settings(BaseSettings):
    """Validated configuration. Paths left empty are derived from ``data_dir``."""

    model_config = SettingsConfigDict(env_prefix="MEXMA_", env_file=".env", extra="ignore")

    mode: Literal["embedded", "distributed"] = "embedded"

    data_dir: Path = Field(default_factory=_default_data_dir)
    models_dir: Path | None = None
    uploads_dir: Path | None = None

    database_url: str | None = None
    redis_url: str | None = None
    qdrant_location: str | None = Field(
        default=None,
        description="the vector index: a directory (default: <data_dir>/qdrant), ':memory:' "
        "(a temporary directory), or a Qdrant server's http(s) URL",
    )
    index_engine: Literal["edge", "qdrant-local"] = Field(
        default="edge",
        description="the engine of a directory index: 'edge' (Qdrant Edge, in-process) or "
        "'qdrant-local' (qdrant-client's pure-Python local mode: small test setups only)",
    )
    index_quantization: bool = Field(
        default=True,
        description="embedded index: keep passage vectors int8-quantised in RAM, the originals "
        "on disk (the best candidates are rescored with them); applies to collections created "
        "afterwards",
    )
    qdrant_api_key: SecretStr | None = None
    qdrant_shards: int = Field(
        default=1, ge=1, le=1024, description="shards of each new collection (Qdrant server)"
    )
    qdrant_replicas: int = Field(
        default=1, ge=1, le=64, description="replication factor of each new collection"
    )
    celery_visibility_timeout: int = Field(
        default=48 * 3600,
        ge=1,
        description="seconds before Redis hands an unacknowledged task to another worker: a "
        "backstop, since workers requeue the jobs of dead workers after job_stale_after_s and "
        "ignore a second message for a job that is alive",
    )
    job_heartbeat_s: float = Field(
        default=10.0, gt=0, description="how often a running job records that it is alive"
    )
    job_stale_after_s: float = Field(
        default=60.0,
        gt=0,
        description="a running job silent this long has lost its worker: it is requeued",
    )

    default_model: str = DEFAULT_MODEL_NAME
    device: str = "auto"
    encode_batch_size: int = Field(default=32, ge=1, le=4096)
    embed_gather_chunks: int = Field(
        default=1024,
        ge=1,
        le=65536,
        description="passages one embed task encodes together, gathered across the documents"
        " waiting for the encoder",
    )
    train_batch_size: int = Field(default=16, ge=1, le=4096)
    cpu_threads: int | None = Field(default=None, ge=1, le=1024)
    max_length: int | None = Field(default=None, ge=8, le=8192)
    chunk_max_tokens: int = Field(
        default=200, ge=16, le=8192, description="passage budget in the live model's tokens"
    )
    search_mode: Literal["hybrid", "dense"] = Field(
        default="hybrid",
        description="'hybrid': the meaning (dense) ranking fused with a keyword (BM25) ranking, "
        "so exact names, codes and numbers rank their passage first; 'dense': meaning only",
    )
    title_in_embedding: bool = Field(
        default=True,
        description="prepend a document's title to each of its passages for embedding "
        "(the title is shown on result cards either way); applies to documents indexed "
        "afterwards",
    )
    sentence_vectors: Literal["ingest", "query"] = Field(
        default="ingest",
        description="when the sentences of a passage are embedded, to show the best one: at "
        "ingest (stored; fast search, about twice the encoder work per document) or at query "
        "time (the returned passages' sentences; fast ingest, slower search)",
    )

    ocr_languages: str = Field(
        default="eng",
        description="Tesseract languages that scanned PDF pages are read in, e.g. "
        "'eng,spa,deu,fra' (each needs its tesseract-ocr language pack); empty: no OCR",
    )

    host: str = "127.0.0.1"
    port: int = Field(default=7860, ge=1, le=65535)
    admin_username: str = "admin"
    admin_password: SecretStr | None = None
    anonymous_read: bool | None = Field(
        default=None,
        description="visitors who are not logged in may search the public collections "
        "(default: on in embedded mode, off in distributed mode)",
    )
    ungranted_collections: Literal["admins", "users"] = Field(
        default="admins",
        description="who reads a collection that no user or group was granted: admins only, "
        "or every signed-in user",
    )
    max_upload_mb: int = Field(default=200, ge=1)
    api_url: str | None = Field(
        default=None,
        description="the URL of a running app whose HTTP API the CLI's read commands (search, "
        "documents list, jobs list/show) ask, with api_token (default: the app that `serve` "
        "runs on this data directory, if any)",
    )
    api_token: SecretStr | None = Field(
        default=None, description="the bearer token the CLI sends to the HTTP API"
    )

    @field_validator("device")
    @classmethod
    def _check_device(cls, value: str) -> str:
        value = value.strip().lower()
        if not DEVICE_PATTERN.match(value):
            raise ValueError(
                f"device must be one of auto, cpu, mps, cuda or cuda:N (got {value!r})"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme = value.split(":", 1)[0].split("+", 1)[0]
        if scheme not in DATABASE_SCHEMES:
            raise ValueError(
                f"database_url must start with sqlite:// or postgresql:// (got {value!r})"
            )
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://")):
            raise ValueError(f"redis_url must start with redis:// or rediss:// (got {value!r})")
        return value

    @field_validator("ocr_languages")
    @classmethod
    def _check_ocr_languages(cls, value: str) -> str:
        languages = [part for part in re.split(r"[,+\s]+", value) if part]
        for language in languages:
            if not OCR_LANGUAGE.match(language):
                raise ValueError(
                    "ocr_languages are Tesseract language codes such as eng or chi_sim, "
                    f"separated by commas (got {language!r})"
                )
        return ",".join(languages)

    @field_validator("api_url")
    @classmethod
    def _check_api_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"api_url must start with http:// or https:// (got {value!r})")
        return value

    @field_validator("qdrant_location")
    @classmethod
    def _check_qdrant_location(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("qdrant_location must be ':memory:', a path or a URL, not empty")
        return value

    @model_validator(mode="after")
    def _derive_paths(self) -> Settings:
        self.data_dir = self.data_dir.expanduser()
        if self.models_dir is None:
            self.models_dir = self.data_dir / "models"
        if self.uploads_dir is None:
            self.uploads_dir = self.data_dir / "uploads"
        if self.database_url is None:
            self.database_url = f"sqlite:///{self.data_dir / 'mexma.db'}"
        if self.qdrant_location is None:
            self.qdrant_location = str(self.data_dir / "qdrant")
        if self.anonymous_read is None:
            self.anonymous_read = self.mode == "embedded"
        if self.mode == "distributed" and self.redis_url is None:
            raise ValueError("distributed mode needs MEXMA_REDIS_URL (the Celery broker)")
        if self.job_stale_after_s < 3 * self.job_heartbeat_s:
            raise ValueError(
                "job_stale_after_s must be at least 3 x job_heartbeat_s, or a slow database "
                "makes live jobs look dead"
            )
        return self

    def as_environment(self) -> dict[str, str]:
        """These settings as ``MEXMA_*`` environment variables, for a child process (unset
        optional fields are left out, so the child gets the same defaults)."""
        environment = {}
        for name, value in self.model_dump().items():
            if value is None:
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            environment[f"MEXMA_{name.upper()}"] = str(value)
        return environment

    @property
    def ocr_language_codes(self) -> tuple[str, ...]:
        """The OCR languages, one code each (empty: no OCR)."""
        return tuple(code for code in self.ocr_languages.split(",") if code)

    def ensure_dirs(self) -> None:
        """Create the data, models and uploads directories."""
        for path in (self.data_dir, self.models_dir, self.uploads_dir):
            assert path is not None
            path.mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
