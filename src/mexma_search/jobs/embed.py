"""The ``embed`` step: chunked documents' passages become points of the live collection.

A handler claims the job it was started for and, with it, other documents waiting for the
encoder (queued ingest jobs at the ``embedding`` stage, oldest first, up to
``embed_gather_chunks`` passages), so that the encoder sees full, length-sorted batches however
small each document is; then it goes on with the next documents waiting, until none are. A
document larger than a batch is embedded a batch per round, and the small documents waiting
meanwhile go first, each ending as soon as it is complete, so none waits for the large one. The
steps enqueued for the other jobs then find them running or ended and do nothing; if the handler
stops early, the jobs it still holds go back to the queue and are enqueued again. Each job still
ends on its own: a deleted or cancelled document, or one the encoder fails on, fails alone.

Point ids are deterministic (document, ordinal, model version), so running it twice writes
the same points again instead of adding copies.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from mexma_search.app.encoder_gate import EncoderGate, background_batch_tokens
from mexma_search.app.formatting import counted
from mexma_search.app.queues import STAGE_EMBEDDING, Step
from mexma_search.app.sentence_vectors import encode_passages, sentence_vectors
from mexma_search.app.serving_model import ServingModel, serving_model
from mexma_search.app.settings import Settings
from mexma_search.documents import UNDETERMINED, embedding_text
from mexma_search.encoder.encode import DEFAULT_MAX_BATCH_TOKENS
from mexma_search.encoder.model import ProgressCallback
from mexma_search.index import ChunkPoint
from mexma_search.jobs.handler import TRANSIENT_ERRORS, JobInterruptedError
from mexma_search.jobs.ingest import DocumentJob, discard_document
from mexma_search.store import (
    Chunk,
    ChunkInCollection,
    JobKind,
    JobStatus,
    chunks_of_documents,
    claim_jobs,
    existing_documents,
    fail_job,
    finish_job,
    finish_jobs,
    get_documents,
    get_jobs,
    read_scope,
    record_done,
    requeue_job,
    session_scope,
    set_documents_indexed,
    waiting_jobs,
)

logger = logging.getLogger(__name__)

CANCEL_CHECK_S = 2.0
# errors that end the whole gathered batch rather than the one document the encoder failed on
NOT_ISOLATED: tuple[type[Exception], ...] = (JobInterruptedError, *TRANSIENT_ERRORS)


def embed_chunks(
    model: ServingModel,
    chunks: Sequence[ChunkInCollection],
    settings: Settings,
    *,
    progress: ProgressCallback | None = None,
    gate: EncoderGate | None = None,
) -> tuple[list[ChunkPoint], set[int]]:
    """The points of ``chunks`` (passage prompt, one encoder call, ``encode_batch_size`` texts
    a batch), each in its document collection; and the ids of the chunks the encoder had to
    truncate.

    With ``title_in_embedding``, each passage is embedded with its document's title before it
    (the point's text, which the keyword leg indexes, stays the passage's).

    With ``sentence_vectors`` ``ingest``, each sentence of the chunks that have several is
    embedded too (one more encoder call over all of them), for search to show the best one
    without encoding. ``progress`` is called after every batch of either call (it may raise to
    stop them).
    With ``gate``, each batch is background work that waits for searches' batches (and on a
    CPU is small, so that searches wait for little).
    """
    batch_size = settings.encode_batch_size
    with_sentences = settings.sentence_vectors == "ingest"
    with_titles = settings.title_in_embedding
    encoder = model.encoder
    rows = [item.chunk for item in chunks]
    texts = [
        embedding_text(item.chunk.text, item.title if with_titles else None) for item in chunks
    ]
    turn = gate.background if gate is not None else None
    max_tokens = (
        background_batch_tokens(encoder.device) if gate is not None else DEFAULT_MAX_BATCH_TOKENS
    )
    result = encode_passages(
        encoder, texts, batch_size, progress, max_batch_tokens=max_tokens, turn=turn
    )
    sentences_per_chunk = (
        sentence_vectors(
            encoder, rows, batch_size, progress, max_batch_tokens=max_tokens, turn=turn
        )
        if with_sentences
        else [None] * len(rows)
    )
    points = [
        ChunkPoint(
            chunk_id=item.chunk.id,
            document_id=item.chunk.document_id,
            ordinal=item.chunk.ordinal,
            collection=item.collection,
            lang=item.chunk.language or UNDETERMINED,
            vector=vector,
            sentence_vectors=sentences,
            text=item.chunk.text,
        )
        for item, vector, sentences in zip(chunks, result.vectors, sentences_per_chunk, strict=True)
    ]
    return points, {rows[i].id for i in result.truncated}


class _CancelledWhileEncodingError(Exception):
    """A job of the gathered batch was cancelled while the encoder worked on it."""


@dataclass
class PendingDocument:
    """A claimed job's document: its chunks, and how far embedding them has come."""

    job_id: int
    document_id: int
    collection: str
    title: str | None
    languages: list[str]
    chunks: list[Chunk]
    done: int = 0
    truncated: set[int] = field(default_factory=set)

    @property
    def remaining(self) -> int:
        """How many of its chunks are still to embed."""
        return len(self.chunks) - self.done


# the chunks of one encoder call, by document
Part = list[tuple[PendingDocument, list[Chunk]]]


class EmbedDocuments(DocumentJob):
    """Embed the chunks of this job's document and of other documents waiting for the
    encoder, at most a gathered batch per round, and mark each document indexed as soon as
    all of its chunks are.

    A document larger than a batch takes several rounds; between them the handler claims the
    small documents waiting and embeds them first, so they do not wait for the large one.
    """

    def run(self) -> None:
        gather = self.runtime.settings.embed_gather_chunks
        self._claim_waiting_jobs(room=gather - (self.job.total or 0))
        try:
            held = self._load(set(self.live_jobs))
            claiming = True
            while held:
                self._embed_round(serving_model(self.runtime), held)
                held = [item for item in held if item.job_id in self.live_jobs]
                if claiming:
                    # keep the encoder busy: the messages of the documents still waiting would
                    # reach this worker only after those of every document it has just embedded
                    claimed = self._claim_waiting_jobs(room=self._room(held))
                    try:
                        held += self._load(claimed)
                    except NOT_ISOLATED:
                        raise
                    except Exception:
                        # not the documents held: they still end; the others are sent again
                        logger.exception("loading the documents of jobs %s failed", claimed)
                        self._release(claimed)
                        claiming = False
                held.sort(key=lambda item: item.remaining)  # the small documents first
        finally:
            self._release(self.live_jobs - {self.job_id})

    def _room(self, held: Sequence[PendingDocument]) -> int:
        """How many passages of waiting documents the next round has room for: a document
        larger than a round leaves them the whole round, it goes on after them."""
        gather = self.runtime.settings.embed_gather_chunks
        return gather - sum(item.remaining for item in held if item.remaining <= gather)

    def _claim_waiting_jobs(self, room: int) -> set[int]:
        """Claim queued documents waiting for embedding, oldest first, while their passages
        fit in ``room``; their job ids. One larger than a round is claimed only when this
        task holds no other (it is then embedded a round at a time); until then the smaller
        ones behind it go first."""
        if room <= 0:
            return set()
        gather = self.runtime.settings.embed_gather_chunks
        with session_scope(self.runtime.engine) as session:
            fitting: list[int] = []
            for job_id, size in waiting_jobs(session, JobKind.INGEST, STAGE_EMBEDDING, room):
                if size > room and (fitting or self.live_jobs):
                    if size > gather:
                        continue
                    break
                fitting.append(job_id)
                room -= size
            claimed = claim_jobs(
                session,
                fitting,
                hostname=self.worker.hostname,
                celery_task_id=self.worker.task_id,
            )
        self.live_jobs |= claimed
        return claimed

    def _release(self, job_ids: set[int]) -> None:
        """Put jobs this handler claimed but did not end back in the queue, and enqueue them."""
        if not job_ids:
            return
        with session_scope(self.runtime.engine) as session:
            requeued = [job_id for job_id in sorted(job_ids) if requeue_job(session, job_id)]
        for job_id in requeued:
            self.queue.enqueue(job_id, Step.EMBED)
        self.live_jobs -= job_ids

    def _load(self, job_ids: set[int]) -> list[PendingDocument]:
        """The documents and chunks of claimed jobs ``job_ids`` (one session); a job whose
        document is gone fails here."""
        if not job_ids:
            return []
        with session_scope(self.runtime.engine) as session:
            jobs = get_jobs(session, sorted(job_ids))
            document_of = {
                job_id: job.parameters.get("document_id") for job_id, job in jobs.items()
            }
            documents = get_documents(session, [d for d in document_of.values() if d is not None])
            chunks = chunks_of_documents(session, list(documents))
            pending = [
                PendingDocument(
                    job_id=job_id,
                    document_id=document.id,
                    collection=document.collection.name,
                    title=document.title,
                    languages=list(document.languages),
                    chunks=chunks[document.id],
                )
                for job_id, document_id in document_of.items()
                if document_id is not None and (document := documents.get(document_id)) is not None
            ]
            for job_id in document_of.keys() - {item.job_id for item in pending}:
                fail_job(session, job_id, f"document {document_of[job_id]} no longer exists")
                self.live_jobs.discard(job_id)
        return pending

    def _embed_round(self, model: ServingModel, held: Sequence[PendingDocument]) -> None:
        """Embed the next gathered batch of chunks of ``held`` (in that order), record every
        held job's progress (ending cancelled jobs) and end the documents now complete."""
        gather = self.runtime.settings.embed_gather_chunks
        part: Part = []
        for item in held:
            if gather <= 0:
                break
            if chunks := item.chunks[item.done : item.done + gather]:
                part.append((item, chunks))
                gather -= len(chunks)
        self._embed_isolating_failures(model, part)
        live = [item for item in held if item.job_id in self.live_jobs]
        self._record_progress(live)
        self._end_indexed(
            [item for item in live if item.job_id in self.live_jobs and not item.remaining],
            model,
        )

    def _embed_isolating_failures(self, model: ServingModel, part: Part) -> None:
        """Embed ``part``; if the encoder fails on it, embed each document's chunks alone, so
        only the one it fails on fails."""
        try:
            self._embed(model, part)
        except NOT_ISOLATED:
            raise
        except Exception as exc:
            if len(part) == 1:
                item = part[0][0]
                logger.exception("embedding document %s failed", item.document_id)
                self._end_failed(item, f"internal error: {type(exc).__name__}: {exc}")
                return
            for item, chunks in part:
                if item.job_id in self.live_jobs:
                    self._embed_isolating_failures(model, [(item, chunks)])

    def _embed(self, model: ServingModel, part: Part) -> None:
        """Encode the chunks of ``part`` in one call and upsert them; a job cancelled during
        the call ends, and the call is made again without it."""
        settings = self.runtime.settings
        while part := [(item, chunks) for item, chunks in part if item.job_id in self.live_jobs]:
            items = [item for item, _ in part]
            try:
                points, truncated = embed_chunks(
                    model,
                    [
                        ChunkInCollection(chunk, item.collection, item.title)
                        for item, chunks in part
                        for chunk in chunks
                    ],
                    settings,
                    progress=self._watch_while_encoding([item.job_id for item in items]),
                    gate=self.runtime.encoder_gate,
                )
            except _CancelledWhileEncodingError:
                self._record_progress(items)  # ends the cancelled jobs
                continue
            self.runtime.index.upsert(model.collection, points)
            for item, chunks in part:
                item.done += len(chunks)
                item.truncated.update(chunk.id for chunk in chunks if chunk.id in truncated)
            return

    def _watch_while_encoding(self, job_ids: list[int]) -> ProgressCallback:
        """An encoder progress callback that stops the call when the worker is stopping, or
        when one of ``job_ids`` (the jobs of the batch) has been cancelled (looked up every
        ``CANCEL_CHECK_S``): a gathered call can run for minutes on a CPU."""
        checked = time.monotonic()

        def check(done: int, total: int) -> None:
            nonlocal checked
            if self.runtime.stopping.is_set():
                raise JobInterruptedError
            if time.monotonic() - checked < CANCEL_CHECK_S:
                return
            checked = time.monotonic()
            with read_scope(self.runtime.engine) as session:
                jobs = get_jobs(session, job_ids)
            if any(job.cancel_requested for job in jobs.values()):
                raise _CancelledWhileEncodingError

        return check

    def _record_progress(self, items: Sequence[PendingDocument]) -> None:
        """Each job's progress (one session); cancelled jobs end here, as does the whole task
        when the worker is stopping."""
        with session_scope(self.runtime.engine) as session:
            cancelled_ids = record_done(session, {item.job_id: item.done for item in items})
        for item in (item for item in items if item.job_id in cancelled_ids):
            discard_document(self.runtime, item.document_id, "cancelled")
            with session_scope(self.runtime.engine) as session:
                finish_job(session, item.job_id, status=JobStatus.CANCELLED, message="cancelled")
            self.live_jobs.discard(item.job_id)
        if self.runtime.stopping.is_set():
            raise JobInterruptedError

    def _end_indexed(self, items: Sequence[PendingDocument], model: ServingModel) -> None:
        """Mark the documents indexed and finish their jobs (one session); a document deleted
        meanwhile fails its job and loses the points just written."""
        with session_scope(self.runtime.engine) as session:
            present = existing_documents(session, [item.document_id for item in items])
            indexed = [item for item in items if item.document_id in present]
            set_documents_indexed(session, [item.document_id for item in indexed])
            finish_jobs(
                session,
                {
                    item.job_id: (
                        f"indexed {counted(len(item.chunks), 'passage')}",
                        {
                            "document_id": item.document_id,
                            "chunks": len(item.chunks),
                            "languages": item.languages,
                            "truncated": len(item.truncated),
                            "model_version": model.version,
                        },
                    )
                    for item in indexed
                },
            )
        self.live_jobs.difference_update(item.job_id for item in indexed)
        for item in (item for item in items if item.document_id not in present):
            self._end_failed(
                item, f"document {item.document_id} was deleted while it was being indexed"
            )

    def _end_failed(self, item: PendingDocument, reason: str) -> None:
        discard_document(self.runtime, item.document_id, reason)
        with session_scope(self.runtime.engine) as session:
            fail_job(session, item.job_id, reason)
        self.live_jobs.discard(item.job_id)
