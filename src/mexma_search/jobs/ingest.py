"""The ``ingest`` step: a stored upload becomes chunk rows, then hands over to ``embed``.

Checkpoint: the chunk rows and the job's ``embedding`` stage are committed together, so a
repeated step either parses again (nothing was stored) or goes straight to embedding.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy.orm import Session

from mexma_search.app.job_queue import JobQueue
from mexma_search.app.queues import STAGE_EMBEDDING, Step
from mexma_search.app.runtime import Runtime
from mexma_search.app.serving_model import serving_model
from mexma_search.app.translation_memories import fill_from_document
from mexma_search.documents import (
    IngestError,
    ParsedDocument,
    TokenCounter,
    chunk_document,
    embedding_text,
    parse_bytes,
)
from mexma_search.documents.ocr import OcrOptions
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.jobs.handler import JobError, JobHandler, WorkerIdentity
from mexma_search.store import (
    Document,
    DocumentStatus,
    Job,
    NewChunk,
    get_document,
    replace_chunks,
    requeue_job,
    session_scope,
    set_document_title,
    start_processing,
    update_progress,
)

STAGE_PARSING = "parsing"
STAGE_CHUNKING = "chunking"
# A stage shorter than this is not worth a write of its own: nobody would see it.
STAGE_VISIBLE_S = 1.0


def passage_budget(
    encoder: SentenceEncoder, max_tokens: int, title: str | None = None
) -> tuple[TokenCounter, int]:
    """A token counter with the encoder's tokenizer (counting many texts in one call), and the
    passage budget: ``max_tokens``, less whatever the model's length leaves after its special
    tokens, passage prefix and the ``title`` prepended to each passage for embedding."""
    count = encoder.token_counter
    room = (
        encoder.config.max_length
        - encoder.tokenizer.num_special_tokens_to_add()
        - count(encoder.config.passage_prefix + embedding_text("", title))
    )
    return count, max(1, min(max_tokens, room))


def read_upload(stored_path: str, filename: str) -> bytes:
    """A document's stored upload; IngestError (naming ``filename``) when it cannot be read."""
    try:
        return Path(stored_path).read_bytes()
    except OSError as exc:
        raise IngestError(
            filename,
            f"the stored upload is unreadable ({exc.strerror or type(exc).__name__})",
        ) from exc


def chunk_rows(runtime: Runtime, parsed: ParsedDocument) -> list[NewChunk]:
    """The passages of a parsed document, cut to the serving model's budget, as chunk rows."""
    settings = runtime.settings
    count, budget = passage_budget(
        serving_model(runtime).encoder,
        settings.chunk_max_tokens,
        parsed.title if settings.title_in_embedding else None,
    )
    return [
        NewChunk(
            ordinal=chunk.ordinal,
            text=chunk.text,
            start_offset=chunk.start,
            end_offset=chunk.end,
            language=chunk.language,
            sentences=[(span.start, span.end) for span in chunk.sentences],
        )
        for chunk in chunk_document(parsed, max_tokens=budget, count_tokens=count)
    ]


def discard_document(runtime: Runtime, document_id: int, reason: str) -> None:
    """Mark a document failed with ``reason`` and remove its chunks and points."""
    with session_scope(runtime.engine) as session:
        if get_document(session, document_id) is not None:
            replace_chunks(session, document_id, [], status=DocumentStatus.FAILED, error=reason)
    runtime.index.delete_document(document_id)


class DocumentJob(JobHandler):
    """A job on one document: if it fails or is cancelled, the document records why and
    loses its chunks and points, so it never shows up half-indexed."""

    def cleanup(self, reason: str) -> None:
        document_id: int | None = self.job.parameters.get("document_id")
        # a job this handler has ended already (an embed task ends its own job with its first
        # batch, then goes on with others) keeps its document
        if document_id is not None and self.job_id in self.live_jobs:
            discard_document(self.runtime, document_id, reason)


class IngestDocument(DocumentJob):
    """Parse and chunk one document, then queue its embedding."""

    def __init__(self, runtime: Runtime, queue: JobQueue, job: Job, worker: WorkerIdentity) -> None:
        super().__init__(runtime, queue, job, worker)
        self.document: Document | None = None

    def begin(self, session: Session) -> None:
        """Mark the document processing and the job parsing, with the claim."""
        document_id: int | None = self.job.parameters.get("document_id")
        if self.job.stage == STAGE_EMBEDDING or document_id is None:
            return
        self.document = start_processing(session, document_id)
        if self.document is not None:
            update_progress(
                session, self.job_id, stage=STAGE_PARSING, message=self.document.filename
            )

    def run(self) -> None:
        document_id: int = self.parameter("document_id")
        # Hand over: the job waits in the queue (its stage says for what) until an embed
        # worker claims it, with this message or together with other waiting documents.
        if self.job.stage == STAGE_EMBEDDING:  # resumed after the checkpoint
            with session_scope(self.runtime.engine) as session:
                requeue_job(session, self.job_id)
        else:
            self._parse_and_chunk(document_id)
        self.queue.enqueue(self.job_id, Step.EMBED)

    def _parse_and_chunk(self, document_id: int) -> None:
        """Store the document's chunk rows and queue the job for embedding, in one commit."""
        document = self.document
        if document is None:
            raise JobError(f"document {document_id} no longer exists")
        started = time.monotonic()
        ocr = OcrOptions(self.runtime.settings.ocr_language_codes)
        parsed = parse_bytes(
            read_upload(document.stored_path, document.filename), document.filename, ocr=ocr
        )
        if time.monotonic() - started > STAGE_VISIBLE_S:
            self.progress(stage=STAGE_CHUNKING)
        chunks = chunk_rows(self.runtime, parsed)
        languages = sorted({chunk.language for chunk in chunks if chunk.language})
        if document.file_type.lower() == "tmx":
            # before the checkpoint, so that a repeated step reads the memory again
            fill_from_document(self.runtime, document_id)
        with session_scope(self.runtime.engine) as session:
            set_document_title(session, document_id, parsed.title, parsed.encoding)
            replace_chunks(
                session,
                document_id,
                chunks,
                status=DocumentStatus.PROCESSING,
                languages=languages,
            )
            self.progress(
                stage=STAGE_EMBEDDING,
                done=0,
                total=len(chunks),
                message=f"{len(chunks)} passages ({', '.join(languages) or 'no language'})",
                requeue=True,
                session=session,
            )
