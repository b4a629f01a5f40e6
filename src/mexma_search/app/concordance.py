"""Concordance: "how did we translate this before?" over the translation memories.

A query in any language finds segments by either side, by meaning and by its words (hybrid
search in the TM collection, see :mod:`mexma_search.tm.memory_index`); each result shows both
sides, which one matched, and the query's words found on each side. As in document search, a
segment whose score is under the model's relevance floor (see :mod:`.relevance`) is left out,
unless the query's words are on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mexma_search.app.relevance import match_kind, relevance
from mexma_search.app.runtime import Runtime
from mexma_search.app.search import MAX_K, query_language
from mexma_search.app.serving_model import serving_model
from mexma_search.documents.langid import normalize_language
from mexma_search.encoder.encode import BatchTurn
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.index.keywords import KeywordQuery, query_keywords
from mexma_search.store import read_scope
from mexma_search.store.tables import Collection
from mexma_search.store.tm_tables import TmSegment, TranslationMemory
from mexma_search.store.translation_memory import segments_by_ids, tms_by_ids
from mexma_search.tm.memory_index import (
    SegmentHit,
    SegmentQuery,
    Side,
    Span,
    matched_words,
    search_segments,
)
from mexma_search.tm.word_alignment import AlignRequest, aligned_spans

# concordance ranks like a hybrid document search
MODE = "hybrid"
# segments asked of the index per result wanted when a language pair narrows them afterwards
PAIR_DEPTH = 4


@dataclass(frozen=True)
class ConcordanceHit:
    """A segment found for a concordance query: both sides, the side that matched best, the
    cosine of the query and that side, the query's words found on each side (character spans,
    end exclusive), and on each side the words linked to the other side's found words (their
    likely translation, :mod:`mexma_search.tm.word_alignment`)."""

    segment_id: int
    tm: str
    collection: str
    src_lang: str
    trg_lang: str
    src_text: str
    trg_text: str
    matched_side: Side
    score: float
    origin: str
    src_spans: list[Span] = field(default_factory=list)
    trg_spans: list[Span] = field(default_factory=list)
    # the words likely to translate the other side's query words (see tm.word_alignment)
    src_aligned: list[Span] = field(default_factory=list)
    trg_aligned: list[Span] = field(default_factory=list)
    pair_score: float | None = None
    note: str | None = None
    # the match's relevance label ('' for a model without a calibration)
    relevance: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The hit as JSON-ready values (spans as ``[start, end]`` lists)."""
        found = asdict(self)
        for side in ("src_spans", "trg_spans", "src_aligned", "trg_aligned"):
            found[side] = [list(span) for span in found[side]]
        return found


@dataclass(frozen=True)
class ConcordanceQuery:
    """What to look for: the text, an optional language pair (``en-es``: either direction), an
    optional TM name, and how many segments."""

    text: str
    language_pair: str | None = None
    tm: str | None = None
    limit: int = 10


def parse_pair(pair: str) -> tuple[str, str]:
    """``'en-es'`` as its two languages; ValueError for anything else."""
    parts = pair.strip().lower().replace("_", "-").split("-")
    if len(parts) != 2 or not all(part.isalpha() for part in parts) or parts[0] == parts[1]:
        raise ValueError(f"a language pair is two language codes like en-es (got {pair!r})")
    first, second = (normalize_language(part) for part in parts)
    return first, second


def concordance(
    runtime: Runtime, query: ConcordanceQuery, collections: Sequence[str] | None
) -> list[ConcordanceHit]:
    """The segments of the translation memories in ``collections`` (None: all) that best match
    ``query``, best first."""
    if not query.text.strip():
        raise ValueError("the query is empty")
    if not 1 <= query.limit <= MAX_K:
        raise ValueError(f"limit must be between 1 and {MAX_K} (got {query.limit})")
    pair = parse_pair(query.language_pair) if query.language_pair else None
    with read_scope(runtime.engine) as session:
        tm_ids = _tm_filter(session, query.tm, collections)
    if tm_ids == []:
        return []
    model = serving_model(runtime)
    keywords = KeywordQuery(query.text, query_language(query.text))
    asked = SegmentQuery(
        vector=runtime.encode_query(model.encoder, query.text),
        keywords=keywords,
        limit=min(query.limit * PAIR_DEPTH, MAX_K) if pair else query.limit,
        collections=collections,
        tm_ids=tm_ids,
        languages=pair,
    )
    hits = search_segments(runtime.index, model.version, asked)
    with read_scope(runtime.engine) as session:
        segments = segments_by_ids(session, [hit.segment_id for hit in hits])
        memories = tms_by_ids(session, {segment.tm_id for segment in segments.values()})
        names = {tm_id: (m.name, m.collection.name) for tm_id, m in memories.items()}
        found = [(hit, segments[hit.segment_id]) for hit in hits if hit.segment_id in segments]
    wanted = set(query_keywords(keywords).indices)
    results = [
        _result(hit, segment, names[segment.tm_id], wanted)
        for hit, segment in found
        if pair is None or {segment.src_lang, segment.trg_lang} == set(pair)
    ]
    for i, result in enumerate(results):
        side_lang = result.src_lang if result.matched_side == "src" else result.trg_lang
        kind = match_kind(keywords.lang, side_lang)
        results[i] = replace(
            result, relevance=relevance(result.score, model.version, MODE, kind) or ""
        )
    shown = [r for r in results if r.src_spans or r.trg_spans or r.relevance != "poor"]
    return with_translations(model.encoder, shown[: query.limit], runtime.encoder_gate.search)


def with_translations(
    encoder: SentenceEncoder, hits: list[ConcordanceHit], turn: BatchTurn
) -> list[ConcordanceHit]:
    """``hits`` with, on each side, the words linked to the query's words found on the other
    side (those found themselves left out); the encoder runs inside ``turn()``."""
    # (hit, whether its target is wanted) for each side with found words
    wanted = [
        (i, to_trg)
        for i, hit in enumerate(hits)
        for to_trg in (True, False)
        if (hit.src_spans if to_trg else hit.trg_spans)
    ]
    requests = [
        AlignRequest(hits[i].src_text, hits[i].src_spans, hits[i].trg_text)
        if to_trg
        else AlignRequest(hits[i].trg_text, hits[i].trg_spans, hits[i].src_text)
        for i, to_trg in wanted
    ]
    if not requests:
        return hits
    with turn():
        found = aligned_spans(encoder, requests)
    for (i, to_trg), spans in zip(wanted, found, strict=True):
        hit = hits[i]
        if to_trg:
            hits[i] = replace(hit, trg_aligned=[s for s in spans if s not in hit.trg_spans])
        else:
            hits[i] = replace(hit, src_aligned=[s for s in spans if s not in hit.src_spans])
    return hits


def _tm_filter(
    session: Session, name: str | None, collections: Sequence[str] | None
) -> list[int] | None:
    """The ids of the TMs called ``name`` in ``collections`` (None: no TM filter); ValueError
    when there is none."""
    if name is None:
        return None
    where = select(TranslationMemory.id).join(Collection).where(TranslationMemory.name == name)
    if collections is not None:
        where = where.where(Collection.name.in_(collections))
    ids = list(session.scalars(where))
    if not ids:
        raise ValueError(f"no translation memory named {name!r}")
    return ids


def _result(
    hit: SegmentHit, segment: TmSegment, tm: tuple[str, str], wanted: set[int]
) -> ConcordanceHit:
    return ConcordanceHit(
        segment_id=segment.id,
        tm=tm[0],
        collection=tm[1],
        src_lang=segment.src_lang,
        trg_lang=segment.trg_lang,
        src_text=segment.src_text,
        trg_text=segment.trg_text,
        matched_side=hit.side,
        score=hit.score,
        origin=str(segment.origin),
        src_spans=matched_words(segment.src_text, segment.src_lang, wanted),
        trg_spans=matched_words(segment.trg_text, segment.trg_lang, wanted),
        pair_score=segment.score,
        note=segment.note,
    )
