"""The ORM schema of the metadata database (collections, documents, chunks, jobs, models).

Alembic revisions in ``store/migrations`` create these tables; the models here must match
them (``tests/store/test_db.py`` checks that autogenerate finds no difference).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from mexma_search.store.types import JSONType, UTCDateTime, utcnow

# Deterministic constraint names, so later migrations can drop or alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class DocumentStatus(enum.StrEnum):
    """Where a document is in the ingest pipeline."""

    PENDING = "pending"
    PROCESSING = "processing"
    INDEXED = "indexed"
    FAILED = "failed"
    DUPLICATE = "duplicate"


class JobKind(enum.StrEnum):
    """What a background job does."""

    INGEST = "ingest"
    # encoder work over stored text that is no document's ingestion: translation-memory
    # mining and alignment (parameter ``task``)
    EMBED = "embed"
    TRAIN = "train"
    REINDEX = "reindex"


class JobStatus(enum.StrEnum):
    """The life cycle of a job: queued -> running -> one of the final states."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class ModelStatus(enum.StrEnum):
    """A model version is a candidate until promoted; the previous active one is retired."""

    CANDIDATE = "candidate"
    ACTIVE = "active"
    RETIRED = "retired"


def _enum(enum_class: type[enum.StrEnum], name: str) -> Enum:
    # VARCHAR + CHECK rather than a native PostgreSQL ENUM: adding a value later is a plain
    # constraint change on both backends.
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    """Declarative base with the shared naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """The Core table a model is mapped to, for table statements."""
    table = model.__table__
    assert isinstance(table, Table)  # SQLAlchemy types it as any FromClause
    return table


class Collection(Base):
    """A named set of documents that searches can be restricted to."""

    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # readable by every signed-in user, and by visitors when anonymous reading is on
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Document(Base):
    """One uploaded file.

    Re-uploading a file already in the collection adds a row with status ``duplicate`` pointing
    at the original (``duplicate_of_id``), so every upload leaves a record. The unique index on
    (collection, content_hash) only covers non-duplicate rows.
    """

    __tablename__ = "documents"
    __table_args__ = (
        Index(
            "uq_documents_collection_id_content_hash",
            "collection_id",
            "content_hash",
            unique=True,
            sqlite_where=text("status != 'duplicate'"),
            postgresql_where=text("status != 'duplicate'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    content_hash: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    # from the file (heading, <title>, metadata); None for documents parsed before titles
    title: Mapped[str | None] = mapped_column(Text)
    # the text encoding a plain-text file was read in (None: PDF, DOCX, TMX, or parsed before)
    encoding: Mapped[str | None] = mapped_column(String(40))
    file_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(Integer)
    stored_path: Mapped[str] = mapped_column(Text)
    # the user name of who uploaded it (None: the command line or the app itself)
    owner: Mapped[str | None] = mapped_column(String(200))
    languages: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[DocumentStatus] = mapped_column(
        _enum(DocumentStatus, "document_status"), default=DocumentStatus.PENDING
    )
    error: Mapped[str | None] = mapped_column(Text)
    n_chunks: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    collection: Mapped[Collection] = relationship()


class Chunk(Base):
    """A passage of a document: the unit that is embedded and returned by search."""

    __tablename__ = "chunks"
    __table_args__ = (UniqueConstraint("document_id", "ordinal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    start_offset: Mapped[int] = mapped_column(Integer)
    end_offset: Mapped[int] = mapped_column(Integer)
    # [[start, end], ...] of each sentence, relative to the chunk text
    sentences: Mapped[list[list[int]]] = mapped_column(JSONType, default=list)

    def sentence_spans(self) -> list[tuple[int, int]]:
        """``(start, end)`` of each sentence in ``text``; the whole text if none were kept."""
        return [(int(s), int(e)) for s, e in self.sentences] or [(0, len(self.text))]


class Job(Base):
    """A background task; this row, not the task queue, is the truth about its progress."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[JobKind] = mapped_column(_enum(JobKind, "job_kind"))
    status: Mapped[JobStatus] = mapped_column(
        _enum(JobStatus, "job_status"), default=JobStatus.QUEUED
    )
    stage: Mapped[str | None] = mapped_column(String(64))
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    # the task's own estimate of the seconds left, as of heartbeat_at
    eta_seconds: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # final summary only; per-step values go to job_metrics
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    worker_hostname: Mapped[str | None] = mapped_column(String(255))
    celery_task_id: Mapped[str | None] = mapped_column(String(155))


class JobMetric(Base):
    """Metric values a job logged at one step (a training loss curve is many of these rows).

    A row per step keeps each write a small insert instead of rewriting a growing JSON blob on
    the job row, which progress updates touch concurrently; charts read a range of steps.
    """

    __tablename__ = "job_metrics"
    __table_args__ = (UniqueConstraint("job_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(Integer)
    values: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ModelVersion(Base):
    """An encoder that can serve search; at most one is ``active`` (a partial unique index)."""

    __tablename__ = "model_versions"
    __table_args__ = (
        Index(
            "uq_model_versions_one_active",
            "status",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    source: Mapped[str] = mapped_column(Text)
    base: Mapped[str | None] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(Text)
    pooling: Mapped[str] = mapped_column(String(32))
    dimension: Mapped[int] = mapped_column(Integer)
    status: Mapped[ModelStatus] = mapped_column(
        _enum(ModelStatus, "model_status"), default=ModelStatus.CANDIDATE
    )
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    qdrant_collection: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApiToken(Base):
    """A bearer token of the HTTP API: only its SHA-256 is kept (the token is shown once).

    ``user_name`` is whom the token acts for; ``scope`` is 'read', 'write' or 'admin'.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    user_name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # the token's first characters, so people can tell their tokens apart
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
