"""Re-reading a plain-text document in an encoding the user chose (an ``ingest`` job with an
``encoding`` parameter).

The document keeps its old passages and points until the new ones are complete: the stored
upload is parsed, chunked and embedded in memory first (a bad encoding, a failure or a
cancellation there changes nothing), then one transaction replaces the chunk rows while the
document's points are swapped; if the index refuses the new points, the old ones are written
back and the transaction rolls back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from mexma_search.app.formatting import counted
from mexma_search.app.queues import REREAD_ENCODING
from mexma_search.app.serving_model import ServingModel, serving_model
from mexma_search.documents import parse_bytes
from mexma_search.index import ChunkPoint, point_id
from mexma_search.index.points import model_version_of
from mexma_search.jobs.embed import embed_chunks
from mexma_search.jobs.handler import JobError, JobHandler
from mexma_search.jobs.ingest import STAGE_PARSING, chunk_rows, read_upload
from mexma_search.store import (
    Chunk,
    ChunkInCollection,
    DocumentStatus,
    NewChunk,
    chunks_of_documents,
    get_document,
    read_scope,
    replace_chunks,
    session_scope,
    set_document_title,
)

logger = logging.getLogger(__name__)

STAGE_REEMBEDDING = "re-embedding"
STAGE_SWAPPING = "swapping"


@dataclass(frozen=True)
class _Document:
    """What the re-read needs of the document row, read in a short session."""

    id: int
    filename: str
    collection: str
    stored_path: str
    old_ordinals: list[int]


class RereadDocument(JobHandler):
    """Parse a document's stored upload again in the job's ``encoding`` and replace its
    passages and points, keeping the old ones until the new ones are ready."""

    def run(self) -> None:
        encoding: str = self.parameter(REREAD_ENCODING)
        document = self._document(self.parameter("document_id"))
        self.progress(stage=STAGE_PARSING, message=document.filename)
        try:
            data = read_upload(document.stored_path, document.filename)
            parsed = parse_bytes(data, document.filename, encoding=encoding)
        except ValueError as exc:  # an encoding Python does not know
            raise JobError(str(exc)) from None
        chunks = chunk_rows(self.runtime, parsed)
        model = serving_model(self.runtime)
        self.progress(stage=STAGE_REEMBEDDING, done=0, total=len(chunks))
        points = self._embed(model, document, chunks, parsed.title)
        self.progress(stage=STAGE_SWAPPING)
        languages = sorted({chunk.language for chunk in chunks if chunk.language})
        with session_scope(self.runtime.engine) as session:
            ids = replace_chunks(
                session, document.id, chunks, status=DocumentStatus.INDEXED, languages=languages
            )
            set_document_title(session, document.id, parsed.title, parsed.encoding)
            new_points = [replace(p, chunk_id=i) for p, i in zip(points, ids, strict=True)]
            self._swap_points(model, document, new_points)
        passages = counted(len(chunks), "passage")
        self.finish(
            f"{document.filename}: read again as {parsed.encoding}, {passages}",
            {"document_id": document.id, "encoding": parsed.encoding, "chunks": len(chunks)},
        )

    def _document(self, document_id: int) -> _Document:
        with read_scope(self.runtime.engine) as session:
            row = get_document(session, document_id)
            if row is None:
                raise JobError(f"document {document_id} no longer exists")
            old = chunks_of_documents(session, [document_id])[document_id]
            return _Document(
                row.id,
                row.filename,
                row.collection.name,
                row.stored_path,
                [chunk.ordinal for chunk in old],
            )

    def _embed(
        self,
        model: ServingModel,
        document: _Document,
        chunks: list[NewChunk],
        title: str | None,
    ) -> list[ChunkPoint]:
        """The new passages' points (chunk ids not known yet: 0), embedded before anything is
        written; the progress calls let a cancellation stop the encoder."""
        unsaved = [
            ChunkInCollection(_unsaved_chunk(document.id, chunk), document.collection, title)
            for chunk in chunks
        ]
        points, _ = embed_chunks(
            model,
            unsaved,
            self.runtime.settings,
            progress=lambda done, total: self.progress(done=done, total=total),
            gate=self.runtime.encoder_gate,
        )
        return points

    def _swap_points(
        self, model: ServingModel, document: _Document, points: list[ChunkPoint]
    ) -> None:
        """Replace the document's points with ``points``; on failure, write the old ones back."""
        index = self.runtime.index
        version = model_version_of(model.collection)
        old_ids = [point_id(document.id, n, version) for n in document.old_ordinals]
        backup = index.points(model.collection, old_ids) if old_ids else []
        try:
            index.delete_document(document.id)
            index.upsert(model.collection, points)
        except BaseException:
            try:
                index.delete_document(document.id)
                index.upsert(model.collection, backup)
            except Exception:
                logger.exception("could not restore the points of document %s", document.id)
            raise


def _unsaved_chunk(document_id: int, chunk: NewChunk) -> Chunk:
    """A chunk row not written yet (id 0), for the encoder."""
    return Chunk(
        id=0,
        document_id=document_id,
        ordinal=chunk.ordinal,
        text=chunk.text,
        language=chunk.language,
        start_offset=chunk.start_offset,
        end_offset=chunk.end_offset,
        sentences=[[start, end] for start, end in chunk.sentences],
    )
