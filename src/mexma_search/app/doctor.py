"""``doctor``: compare the database with the vector index, and repair the drift.

The database is the truth about documents and chunks; the live collection of the index must
hold exactly one point per chunk of every indexed document. A crash between the two stores, a
lost worker, or an index restored from an older backup can leave them apart. The examination
reads both (ids only); the repair deletes the points of documents the database no longer has,
queues a fresh ingest for every document whose points drifted or that is stuck in processing
with no job behind it, requeues the jobs of workers that went silent, and gives points stored
without a keyword vector (by a release before hybrid search) one from their chunk's text.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta

from mexma_search.app.job_queue import JobQueue
from mexma_search.app.queues import Step
from mexma_search.app.reaper import requeue_dead_workers_jobs
from mexma_search.app.runtime import Runtime
from mexma_search.app.views import Record
from mexma_search.index import LIVE_ALIAS
from mexma_search.index.points import model_version_of, point_id
from mexma_search.store import (
    JobKind,
    chunk_ids_by_document,
    chunks_by_ids,
    create_job,
    document_states,
    read_scope,
    session_scope,
    stale_job_ids,
    unfinished_jobs,
)
from mexma_search.store.tables import DocumentStatus
from mexma_search.store.types import utcnow

IN_PIPELINE = (DocumentStatus.PENDING, DocumentStatus.PROCESSING)


@dataclass(frozen=True)
class DocumentDrift(Record):
    """An indexed document whose points are not its chunks."""

    document_id: int
    filename: str
    chunks: int
    points: int
    missing: int  # chunks without a point
    extra: int  # points without a chunk


@dataclass(frozen=True)
class DoctorReport(Record):
    """What the examination found (and, after a repair, what was done)."""

    collection: str | None
    documents: int
    chunks: int
    points: int
    drifted: list[DocumentDrift]
    orphan_documents: list[int]  # points of documents the database does not have
    unindexed_with_points: list[int]  # failed or duplicate documents that still have points
    stuck_documents: list[int]  # pending or processing, with no unfinished job
    stale_jobs: list[int]  # running, and their worker silent for too long
    keywordless_points: int = 0  # points without a keyword vector: hybrid search misses them
    repairs: list[str] = field(default_factory=list)
    queued_jobs: list[int] = field(default_factory=list)  # the ingest jobs a repair queued

    @property
    def healthy(self) -> bool:
        """True when nothing needs repairing."""
        return not (
            self.drifted
            or self.orphan_documents
            or self.unindexed_with_points
            or self.stuck_documents
            or self.stale_jobs
            or self.keywordless_points
        )


def examine(runtime: Runtime) -> DoctorReport:
    """Compare the database with the live collection of the index."""
    return _examine(runtime)[0]


def _examine(runtime: Runtime) -> tuple[DoctorReport, dict[int, set[int]]]:
    """The report, and the points without a keyword vector by document."""
    collection = runtime.index.alias_target(LIVE_ALIAS)
    points = runtime.index.chunk_ids_by_document(collection) if collection else {}
    keywordless = _keywordless(runtime, collection)
    with read_scope(runtime.engine) as session:
        states = document_states(session)
        chunks = chunk_ids_by_document(session)
        unfinished = unfinished_jobs(session)
        stale = stale_job_ids(
            session, utcnow() - timedelta(seconds=runtime.settings.job_stale_after_s)
        )
    indexed = [i for i, (status, _) in states.items() if status == DocumentStatus.INDEXED]
    drifted = [
        _drift(i, states[i][1], chunks.get(i, set()), points.get(i, set()))
        for i in indexed
        if chunks.get(i, set()) != points.get(i, set())
    ]
    working = {job.parameters.get("document_id") for job in unfinished}
    report = DoctorReport(
        collection=collection,
        documents=len(indexed),
        chunks=sum(len(chunks.get(i, ())) for i in indexed),
        points=sum(len(ids) for ids in points.values()),
        drifted=drifted,
        orphan_documents=sorted(set(points) - set(states)),
        unindexed_with_points=sorted(
            i
            for i in set(points) & set(states)
            if states[i][0] not in (*IN_PIPELINE, DocumentStatus.INDEXED)
        ),
        stuck_documents=sorted(
            i for i, (status, _) in states.items() if status in IN_PIPELINE and i not in working
        ),
        stale_jobs=stale,
        keywordless_points=sum(len(ids) for ids in keywordless.values()),
    )
    return report, keywordless


def repair(runtime: Runtime, queue: JobQueue) -> DoctorReport:
    """Examine, then repair what was found; the report lists the repairs."""
    report, keywordless = _examine(runtime)
    repairs: list[str] = []
    queued: list[int] = []
    for document_id in report.orphan_documents + report.unindexed_with_points:
        runtime.index.delete_document(document_id)
        repairs.append(f"deleted the points of document {document_id}")
    again = sorted({d.document_id for d in report.drifted} | set(report.stuck_documents))
    for document_id in again:
        job_id = _queue_ingest(runtime, queue, document_id)
        queued.append(job_id)
        repairs.append(f"document {document_id}: ingest job {job_id} queued")
    for job_id in requeue_dead_workers_jobs(runtime, queue):
        repairs.append(f"job {job_id}: requeued (its worker went silent)")
    if report.keywordless_points and report.collection:
        added = _add_keyword_vectors(runtime, report.collection, keywordless, set(again))
        repairs.append(f"{added} points given a keyword vector")
    return replace(report, repairs=repairs, queued_jobs=queued)


def _keywordless(runtime: Runtime, collection: str | None) -> dict[int, set[int]]:
    if collection is None:
        return {}
    return runtime.index.chunk_ids_by_document(collection, without_keywords=True)


def _add_keyword_vectors(
    runtime: Runtime,
    collection: str,
    keywordless: dict[int, set[int]],
    reingested: set[int],
) -> int:
    """Store again, with a keyword vector from the chunk's text, every point that lacks one
    (documents queued for a fresh ingest get theirs from it)."""
    version = model_version_of(collection)
    added = 0
    for document_id, chunk_ids in keywordless.items():
        if document_id in reingested:
            continue
        with read_scope(runtime.engine) as session:
            texts = {
                c.id: (c.ordinal, c.text)
                for c in chunks_by_ids(session, sorted(chunk_ids)).values()
            }
        ids = [point_id(document_id, ordinal, version) for ordinal, _ in texts.values()]
        stored = runtime.index.points(collection, ids)
        added += runtime.index.upsert(
            collection,
            [replace(p, text=texts[p.chunk_id][1]) for p in stored if p.chunk_id in texts],
        )
    return added


def _drift(document_id: int, filename: str, chunks: set[int], points: set[int]) -> DocumentDrift:
    return DocumentDrift(
        document_id=document_id,
        filename=filename,
        chunks=len(chunks),
        points=len(points),
        missing=len(chunks - points),
        extra=len(points - chunks),
    )


def _queue_ingest(runtime: Runtime, queue: JobQueue, document_id: int) -> int:
    """A new ingest job for a stored document (it replaces the document's chunks and points)."""
    with session_scope(runtime.engine) as session:
        filename = document_states(session)[document_id][1]
        job = create_job(
            session,
            JobKind.INGEST,
            parameters={"document_id": document_id, "filename": filename, "repair": True},
        )
        job_id = job.id
    queue.enqueue(job_id, Step.INGEST)
    return job_id
