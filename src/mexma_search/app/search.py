"""Search: encode the query with the live model, find passages, pick each one's best sentence.

Best sentence: the sentence vectors stored with each point at ingest (``sentence_vectors =
'ingest'``, the default) are compared with the query vector, so a search makes one encoder
call, for the query. Passages without stored sentence vectors (``'query'`` mode) have their
sentences encoded together in one extra call, which on CPU costs several times the rest of
the search; ``highlight=False`` skips it, and passages of one sentence cost nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from mexma_search.app.exact_phrase import phrase_first
from mexma_search.app.relevance import Relevance, match_kind, relevance
from mexma_search.app.runtime import Runtime
from mexma_search.app.sentence_vectors import sentence_vectors
from mexma_search.app.serving_model import ServingModel, serving_model
from mexma_search.app.views import MAX_K, SearchResult
from mexma_search.encoder.encode import BatchTurn
from mexma_search.encoder.language_id import language_identifier
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.index import Hit
from mexma_search.index.keywords import KeywordQuery
from mexma_search.store import Chunk, chunks_by_ids, document_names, read_scope

# below this probability the query's language is treated as unknown (short queries, names)
QUERY_LANGUAGE_CONFIDENCE = 0.9
# a query of this many words is a sentence: the identifier's best guess of its language is
# nearly always right, even when unsure
SENTENCE_WORDS = 5

# grouped search: passages asked of the index per document wanted (so that documents with
# many matching passages still leave k documents), at most MAX_GROUPED_HITS
GROUP_DEPTH = 5
MAX_GROUPED_HITS = 300
MORE_PER_DOCUMENT = 2

SearchMode = Literal["hybrid", "dense"]
SEARCH_MODES: tuple[SearchMode, ...] = ("dense", "hybrid")
Found = tuple[Hit, Chunk]

Span = tuple[int, int]


@dataclass(frozen=True)
class Query:
    """What to search for: the text, the filters, the search mode, and whether a match is a
    document (``group``) or a passage."""

    text: str
    lang: str | Sequence[str] | None = None
    collection: str | Sequence[str] | None = None
    document_id: int | Sequence[int] | None = None
    mode: SearchMode = "hybrid"
    group: bool = True


@dataclass(frozen=True)
class Ranking:
    """A query's cards, best first (each a document's passages, or one passage), with what
    turning them into results needs."""

    model: ServingModel
    query_vector: np.ndarray
    query_language: str | None
    mode: SearchMode
    cards: list[list[Found]]
    # document id -> (file name, title shown: the parsed title, else the file name)
    documents: dict[int, tuple[str, str]]
    # the index had no more matches than it returned and all of them made cards: a deeper
    # ranking would add none
    exhausted: bool
    # the search's turn at the encoder, for sentences encoded at query time
    encoder_turn: BatchTurn

    def relevance(self, card: list[Found]) -> Relevance | None:
        """The card's relevance label, from its best-ranked passage (None: the model has no
        calibration)."""
        hit, chunk = card[0]
        kind = match_kind(self.query_language, _lang(hit, chunk))
        return relevance(hit.score, self.model.version, self.mode, kind)


def search(
    runtime: Runtime,
    query: str,
    *,
    k: int = 10,
    lang: str | Sequence[str] | None = None,
    collection: str | Sequence[str] | None = None,
    document_id: int | Sequence[int] | None = None,
    highlight: bool = True,
    mode: SearchMode = "hybrid",
    group: bool = True,
) -> list[SearchResult]:
    """The ``k`` best matches for ``query``, best first, restricted by the filters given.

    ``hybrid`` fuses the meaning ranking with a keyword ranking; ``dense`` ranks by meaning.
    With ``group``, a match is a document: its best passage, with up to MORE_PER_DOCUMENT more
    of its passages in ``passages``; without, each passage is a match of its own.
    """
    asked = Query(query, lang, collection, document_id, mode, group)
    found = rank(runtime, asked, k=k, highlight=highlight)
    return results_of(found, found.cards, highlight=highlight)


def rank(runtime: Runtime, query: Query, *, k: int, highlight: bool) -> Ranking:
    """The first ``k`` cards for ``query`` (see :func:`search`); ``highlight`` fetches the
    stored sentence vectors too."""
    mode = query.mode
    if not query.text.strip():
        raise ValueError("the query is empty")
    if not 1 <= k <= MAX_K:
        raise ValueError(f"k must be between 1 and {MAX_K} (got {k})")
    if mode not in SEARCH_MODES:
        raise ValueError(f"unknown search mode {mode!r}; choose one of {', '.join(SEARCH_MODES)}")
    model = serving_model(runtime)
    query_vector = runtime.encode_query(model.encoder, query.text)
    language = query_language(query.text)
    # The concrete collection, not the alias: the query vector was made by its model, and a
    # promotion may move the alias in the meantime.
    limit = min(k * GROUP_DEPTH, MAX_GROUPED_HITS) if query.group else k
    keywords = KeywordQuery(query.text, keyword_language(query.text)) if mode == "hybrid" else None
    hits = runtime.index.search(
        query_vector,
        limit,
        lang=query.lang,
        collection=query.collection,
        document_id=query.document_id,
        target=model.collection,
        with_sentence_vectors=highlight,
        keywords=keywords,
    )
    with read_scope(runtime.engine) as session:
        chunks = chunks_by_ids(session, [hit.chunk_id for hit in hits])
        documents = document_names(session, list({hit.document_id for hit in hits}))
    found = [
        (hit, chunks[hit.chunk_id])
        for hit in hits
        if hit.chunk_id in chunks and hit.document_id in documents
    ]
    if keywords is not None and keywords.lang is None:
        # a name, a code or a number: the passages holding it as typed go first
        found = phrase_first(found, query.text, lambda passage: passage[1].text)
    cards = by_document(found, k) if query.group else [[passage] for passage in found[:k]]
    return Ranking(
        model,
        query_vector,
        language,
        mode,
        cards,
        documents,
        exhausted=len(hits) < limit and len(cards) < k,
        encoder_turn=runtime.encoder_gate.search,
    )


def _lang(hit: Hit, chunk: Chunk) -> str:
    return str(hit.payload.get("lang", chunk.language or ""))


def results_of(
    ranking: Ranking, cards: Sequence[list[Found]], *, highlight: bool
) -> list[SearchResult]:
    """``cards`` of ``ranking`` as results, each with its best sentence when ``highlight``;
    each card is led by its passage holding the sentence closest to the query and carries
    the label of its best-ranked passage (the document's match, as the relevance floor sees
    it); its further passages carry their own."""
    shown = [passage for card in cards for passage in card]
    matches = (
        sentence_matches(
            ranking.model.encoder,
            ranking.query_vector,
            [chunk for _, chunk in shown],
            [hit.sentence_vectors for hit, _ in shown],
            turn=ranking.encoder_turn,
        )
        if highlight
        else [((0, len(chunk.text)), None) for _, chunk in shown]
    )
    results = iter(
        (
            SearchResult(
                score=float(hit.score),
                text=chunk.text,
                sentence=chunk.text[start:end],
                sentence_start=start,
                sentence_end=end,
                lang=_lang(hit, chunk),
                document=ranking.documents[hit.document_id][0],
                document_id=hit.document_id,
                collection=str(hit.payload.get("collection", "")),
                chunk=chunk.ordinal,
                chunk_id=chunk.id,
                model_version=ranking.model.version,
                document_title=ranking.documents[hit.document_id][1],
                relevance=ranking.relevance([(hit, chunk)]) or "",
            ),
            hit.score if closeness is None else closeness,
        )
        for (hit, chunk), ((start, end), closeness) in zip(shown, matches, strict=True)
    )
    led = [best_sentence_first([next(results) for _ in card]) for card in cards]
    return [
        replace(lead, passages=tuple(more), relevance=ranking.relevance(card) or "")
        for (lead, *more), card in zip(led, cards, strict=True)
    ]


def best_sentence_first(card: list[tuple[SearchResult, float]]) -> list[SearchResult]:
    """The results of ``card`` (each with its best sentence's closeness to the query) in
    ranking order, but led by the one whose best sentence is closest."""
    lead = max(range(len(card)), key=lambda i: card[i][1])
    return [card[lead][0], *(result for i, (result, _) in enumerate(card) if i != lead)]


def by_document(found: list[Found], k: int) -> list[list[Found]]:
    """The first ``k`` documents of the ranking ``found``, each as its best passage followed by
    up to MORE_PER_DOCUMENT more of its passages, in ranking order."""
    cards: dict[int, list[Found]] = {}
    for hit, chunk in found:
        card = cards.get(hit.document_id)
        if card is None:
            if len(cards) < k:
                cards[hit.document_id] = [(hit, chunk)]
        elif len(card) <= MORE_PER_DOCUMENT:
            card.append((hit, chunk))
    return list(cards.values())


def query_language(query: str) -> str | None:
    """The query's language when it is clear, else None."""
    lang, probability = language_identifier().classify(query)
    return str(lang) if probability >= QUERY_LANGUAGE_CONFIDENCE else None


def keyword_language(query: str) -> str | None:
    """The language the keyword leg takes ``query`` in: the clear language of a short query
    (else None: it may be a name or a code), the best guess for a sentence."""
    lang, probability = language_identifier().classify(query)
    if probability >= QUERY_LANGUAGE_CONFIDENCE or len(query.split()) >= SENTENCE_WORDS:
        return str(lang)
    return None


def sentence_matches(
    encoder: SentenceEncoder,
    query_vector: np.ndarray,
    chunks: Sequence[Chunk],
    stored: Sequence[np.ndarray | None],
    *,
    turn: BatchTurn | None = None,
) -> list[tuple[Span, float | None]]:
    """For each chunk, the span of its sentence closest to the query and that sentence's
    cosine with it (None for a chunk of one sentence without vectors): by its ``stored``
    sentence vectors where they match its sentences, else by encoding its sentences (all such
    chunks in one call, each batch inside ``turn()`` when given)."""
    spans_per_chunk = [chunk.sentence_spans() for chunk in chunks]
    vectors: list[np.ndarray | None] = [
        vectors if vectors is not None and len(vectors) == len(spans) else None
        for vectors, spans in zip(stored, spans_per_chunk, strict=True)
    ]
    missing = [
        i for i, spans in enumerate(spans_per_chunk) if len(spans) > 1 and vectors[i] is None
    ]
    encoded = sentence_vectors(encoder, [chunks[i] for i in missing], turn=turn)
    for i, chunk_vectors in zip(missing, encoded, strict=True):
        vectors[i] = chunk_vectors
    return [_closest(spans, chunk_vectors, query_vector) for spans, chunk_vectors in zip(
        spans_per_chunk, vectors, strict=True
    )]  # fmt: skip


def _closest(
    spans: list[Span], vectors: np.ndarray | None, query_vector: np.ndarray
) -> tuple[Span, float | None]:
    if vectors is None:
        return spans[0], None
    closeness = vectors @ query_vector
    best = int(np.argmax(closeness))
    return spans[best], float(closeness[best])
