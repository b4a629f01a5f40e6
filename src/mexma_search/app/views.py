"""Plain, serialisable records that the services return to the UI and the CLI."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from mexma_search.store import Document, Job, JobStatus, ModelVersion

FINAL_JOB_STATUSES = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)
# the most results one search returns (paging included)
MAX_K = 100


class Record:
    """Shared conversion of the records to JSON-ready dicts."""

    def to_dict(self) -> dict[str, Any]:
        return {
            key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in asdict(self).items()  # type: ignore[call-overload]
        }


@dataclass(frozen=True)
class JobInfo(Record):
    """A background job and its progress."""

    id: int
    kind: str
    status: str
    stage: str | None
    done: int
    total: int | None
    message: str | None
    error: str | None
    parameters: dict[str, Any]
    metrics: dict[str, Any]
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    # the task's estimate of the seconds left, as of heartbeat_at (None when it gives none)
    eta_seconds: float | None = None

    @property
    def finished(self) -> bool:
        """True once the job has ended (succeeded, failed or cancelled)."""
        return self.status in FINAL_JOB_STATUSES

    @classmethod
    def from_row(cls, job: Job) -> JobInfo:
        return cls(
            id=job.id,
            kind=str(job.kind),
            status=str(job.status),
            stage=job.stage,
            done=job.done,
            total=job.total,
            message=job.message,
            error=job.error,
            parameters=dict(job.parameters),
            metrics=dict(job.metrics),
            cancel_requested=job.cancel_requested,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            heartbeat_at=job.heartbeat_at,
            eta_seconds=job.eta_seconds if job.status == JobStatus.RUNNING else None,
        )


@dataclass(frozen=True)
class DocumentInfo(Record):
    """An uploaded document and where it is in the pipeline."""

    id: int
    collection: str
    filename: str
    file_type: str
    size_bytes: int
    status: str
    error: str | None
    languages: list[str]
    n_chunks: int
    duplicate_of_id: int | None
    created_at: datetime
    # the title parsed from the file (None: it has none, or was parsed before titles)
    title: str | None = None
    # the user name of who uploaded it (None: the command line or the app itself)
    owner: str | None = None
    # the text encoding a plain-text file was read in (None: PDF, DOCX, TMX, or parsed before)
    encoding: str | None = None

    @classmethod
    def from_row(cls, document: Document, collection: str) -> DocumentInfo:
        return cls(
            id=document.id,
            collection=collection,
            filename=document.filename,
            file_type=document.file_type,
            size_bytes=document.size_bytes,
            status=str(document.status),
            error=document.error,
            languages=list(document.languages),
            n_chunks=document.n_chunks,
            duplicate_of_id=document.duplicate_of_id,
            created_at=document.created_at,
            title=document.title,
            owner=document.owner,
            encoding=document.encoding,
        )


@dataclass(frozen=True)
class ModelVersionInfo(Record):
    """A registered encoder; ``live`` when the search alias points at its collection."""

    name: str
    status: str
    live: bool
    source: str
    path: str
    pooling: str
    dimension: int
    qdrant_collection: str | None
    metrics: dict[str, Any]
    created_at: datetime

    @classmethod
    def from_row(cls, model: ModelVersion, live_collection: str | None) -> ModelVersionInfo:
        return cls(
            name=model.name,
            status=str(model.status),
            live=model.qdrant_collection is not None and model.qdrant_collection == live_collection,
            source=model.source,
            path=model.path,
            pooling=model.pooling,
            dimension=model.dimension,
            qdrant_collection=model.qdrant_collection,
            metrics=dict(model.metrics),
            created_at=model.created_at,
        )


@dataclass(frozen=True)
class SearchResult(Record):
    """A passage that matches a query, with its best sentence (offsets into ``text``)."""

    score: float
    text: str
    sentence: str
    sentence_start: int
    sentence_end: int
    lang: str
    document: str
    document_id: int
    collection: str
    chunk: int
    chunk_id: int
    model_version: str
    # the document's title (from its file), else its file name
    document_title: str = ""
    # strong / good / weak / poor match (see app/relevance.py); "" for an uncalibrated model
    relevance: str = ""
    # more passages of the same document, in ranking order (grouped search)
    passages: tuple[SearchResult, ...] = ()


@dataclass(frozen=True)
class SearchPage(Record):
    """One page of a search's results.

    ``hidden``: results ranked up to this page that score below the relevance floor and are
    left out (``show_all`` keeps them); ``has_next``: a further page has results.
    """

    results: tuple[SearchResult, ...]
    page: int
    page_size: int
    has_next: bool
    hidden: int
    show_all: bool

    @property
    def no_good_match(self) -> bool:
        """Nothing on the first page is good enough to show, though something matched."""
        return self.page == 1 and not self.results and self.hidden > 0


@dataclass(frozen=True)
class BusyWorker(Record):
    """A worker running a job, as the job's row tells: ``silent_s`` since its heartbeat."""

    worker: str
    job_id: int
    kind: str
    stage: str | None
    silent_s: float


@dataclass(frozen=True)
class WorkerStatus(Record):
    """What the workers are doing, from the jobs table (the source of truth for jobs).

    ``queued``: jobs waiting, by kind. ``busy``: the running jobs and their workers; a worker
    silent for more than ``stale_after_s`` has died and its job will be requeued.
    """

    mode: str
    queued: dict[str, int]
    busy: list[BusyWorker]
    stale_after_s: float
