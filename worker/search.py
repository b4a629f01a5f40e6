"""Search: encode the query with the live model, find passages, pick each one's best sentence.

Best sentence: the sentences of all returned passages are encoded together in one extra
encoder call (passage prompt) and compared with the query vector. For k=10 passages of a few
sentences each that is one batch of ~30-60 short texts: on CPU with the default e5-small model
this roughly doubles the latency of a query (tens of milliseconds); ``highlight=False`` skips
it, and passages of a single sentence cost nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from encoder.model import SentenceEncoder
from worker.db import Chunk, chunks_by_ids, get_document, session_scope
from worker.live_model import serving_model
from worker.runtime import Runtime
from worker.views import SearchResult

MAX_K = 100

Span = tuple[int, int]


def search(
    runtime: Runtime,
    query: str,
    *,
    k: int = 10,
    lang: str | Sequence[str] | None = None,
    collection: str | Sequence[str] | None = None,
    document_id: int | Sequence[int] | None = None,
    highlight: bool = True,
) -> list[SearchResult]:
    """The ``k`` passages closest to ``query``, best first, restricted by the filters given."""
    if not query.strip():
        raise ValueError("the query is empty")
    if not 1 <= k <= MAX_K:
        raise ValueError(f"k must be between 1 and {MAX_K} (got {k})")
    model = serving_model(runtime)
    query_vector = model.encoder.encode([query], prompt="query").vectors[0]
    # The concrete collection, not the alias: the query vector was made by its model, and a
    # promotion may move the alias in the meantime.
    hits = runtime.index.search(
        query_vector,
        k,
        lang=lang,
        collection=collection,
        document_id=document_id,
        target=model.collection,
    )
    with session_scope(runtime.engine) as session:
        chunks = chunks_by_ids(session, [hit.chunk_id for hit in hits])
        filenames = {}
        for document_id_ in {hit.document_id for hit in hits}:
            document = get_document(session, document_id_)
            if document is not None:
                filenames[document_id_] = document.filename
    found = [
        (hit, chunks[hit.chunk_id])
        for hit in hits
        if hit.chunk_id in chunks and hit.document_id in filenames
    ]
    spans = (
        best_sentences(model.encoder, query_vector, [chunk for _, chunk in found])
        if highlight
        else [(0, len(chunk.text)) for _, chunk in found]
    )
    return [
        SearchResult(
            score=float(hit.score),
            text=chunk.text,
            sentence=chunk.text[start:end],
            sentence_start=start,
            sentence_end=end,
            lang=str(hit.payload.get("lang", chunk.language or "")),
            document=filenames[hit.document_id],
            document_id=hit.document_id,
            collection=str(hit.payload.get("collection", "")),
            chunk=chunk.ordinal,
            chunk_id=chunk.id,
            model_version=model.version,
        )
        for (hit, chunk), (start, end) in zip(found, spans, strict=True)
    ]


def best_sentences(
    encoder: SentenceEncoder, query_vector: np.ndarray, chunks: Sequence[Chunk]
) -> list[Span]:
    """For each chunk, the span of its sentence closest to the query (the whole text if it has
    no sentence spans); all sentences are encoded in one call."""
    spans_per_chunk: list[list[Span]] = [
        [(int(s), int(e)) for s, e in chunk.sentences] or [(0, len(chunk.text))] for chunk in chunks
    ]
    needs_scoring = [i for i, spans in enumerate(spans_per_chunk) if len(spans) > 1]
    texts = [chunks[i].text[start:end] for i in needs_scoring for start, end in spans_per_chunk[i]]
    vectors = encoder.encode(texts, prompt="passage").vectors if texts else None
    best = [spans[0] for spans in spans_per_chunk]
    offset = 0
    for i in needs_scoring:
        spans = spans_per_chunk[i]
        assert vectors is not None
        scores = vectors[offset : offset + len(spans)] @ query_vector
        best[i] = spans[int(np.argmax(scores))]
        offset += len(spans)
    return best
