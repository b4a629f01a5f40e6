"""The ``embed`` task: a chunked document's passages become points of the live collection.

Point ids are deterministic (document, ordinal, model version), so running it twice writes
the same points again instead of adding copies.
"""

from __future__ import annotations

from collections.abc import Sequence

from worker.db import (
    Chunk,
    DocumentStatus,
    document_chunks,
    get_document,
    session_scope,
    set_document_status,
)
from worker.index import ChunkPoint
from worker.live_model import ServingModel, serving_model
from worker.sentence_vectors import sentence_vectors
from worker.tasks.base import JobError
from worker.tasks.ingest import STAGE_EMBEDDING, DocumentJob

UNDETERMINED_LANGUAGE = "und"


def embed_chunks(
    model: ServingModel,
    chunks: Sequence[Chunk],
    collection: str,
    batch_size: int,
    *,
    with_sentences: bool,
) -> tuple[list[ChunkPoint], int]:
    """The points of ``chunks`` (passage prompt) for a document collection; and the number of
    passages the encoder had to truncate.

    ``with_sentences`` also embeds each sentence of the chunks that have several (one more
    encoder call over all of them), for search to show the best one without encoding.
    """
    encoder = model.encoder
    result = encoder.encode(
        [chunk.text for chunk in chunks], prompt="passage", batch_size=batch_size
    )
    sentences_per_chunk = (
        sentence_vectors(encoder, chunks, batch_size) if with_sentences else [None] * len(chunks)
    )
    points = [
        ChunkPoint(
            chunk_id=chunk.id,
            document_id=chunk.document_id,
            ordinal=chunk.ordinal,
            collection=collection,
            lang=chunk.language or UNDETERMINED_LANGUAGE,
            vector=vector,
            sentence_vectors=sentences,
        )
        for chunk, vector, sentences in zip(
            chunks, result.vectors, sentences_per_chunk, strict=True
        )
    ]
    return points, result.n_truncated


class EmbedDocument(DocumentJob):
    """Embed one document's chunks, batch by batch, and mark it indexed."""

    def run(self) -> None:
        document_id: int = self.parameter("document_id")
        model = serving_model(self.runtime)
        with session_scope(self.runtime.engine) as session:
            document = get_document(session, document_id)
            if document is None:
                raise JobError(f"document {document_id} no longer exists")
            collection = document.collection.name
            languages = list(document.languages)
            chunks = document_chunks(session, document_id)
        batch_size = self.runtime.settings.encode_batch_size
        truncated = 0
        self.progress(stage=STAGE_EMBEDDING, done=0, total=len(chunks))
        for start in range(0, len(chunks), batch_size):
            points, n_truncated = embed_chunks(
                model,
                chunks[start : start + batch_size],
                collection,
                batch_size,
                with_sentences=self.runtime.settings.sentence_vectors == "ingest",
            )
            self.runtime.index.upsert(model.collection, points)
            truncated += n_truncated
            self.progress(done=start + len(points))
        with session_scope(self.runtime.engine) as session:
            if get_document(session, document_id) is None:
                raise JobError(f"document {document_id} was deleted while it was being indexed")
            set_document_status(session, document_id, DocumentStatus.INDEXED)
        self.finish(
            f"indexed {len(chunks)} passages",
            {
                "document_id": document_id,
                "chunks": len(chunks),
                "languages": languages,
                "truncated": truncated,
                "model_version": model.version,
            },
        )
