"""Hybrid search fusion: the dense and keyword (BM25) rankings merged by their scores.

Distribution-based score fusion (DBSF): each leg's scores are mapped to [0, 1] by the range
mean ± 3 standard deviations of that leg's candidates, and a passage's fused score is its
dense part plus its keyword part times a weight that depends on the passage's language: a
query's keywords say little about passages in another language (there they mostly meet
distractors in the query's own language), except names, numbers and codes, which the
standout rule (:func:`stands_out`) puts first. The fusion runs here, not in the engine, so
that every engine ranks alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from mexma_search.index.keywords import KeywordQuery
from mexma_search.index.points import Hit

# keyword weight (the dense leg counts 1) for a passage in the query's language, in another,
# and for a query whose language is unclear (mostly names, numbers or codes)
SAME_LANGUAGE_WEIGHT = 0.15
OTHER_LANGUAGE_WEIGHT = 0.0
UNKNOWN_LANGUAGE_WEIGHT = 1.0
# candidates each leg brings to the fusion (at least k)
HYBRID_DEPTH = 100
# a keyword hit whose BM25 score is at least this many times the best of any other document's
# goes first: a rare term (a code, a name) matched one passage far better than any other
STANDOUT_RATIO = 2.0
STANDOUT_CANDIDATES = 10

Scored = tuple[float, Hit]
# runs a keyword search of a query, returning its best hits with their BM25 scores
KeywordSearch = Callable[[KeywordQuery], Sequence[Scored]]


def hybrid_depth(k: int) -> int:
    """How many candidates each leg of a hybrid search for ``k`` hits brings to the fusion."""
    return max(HYBRID_DEPTH, k)


def keyword_weight(query_lang: str | None, passage_lang: str | None) -> float:
    """The keyword leg's weight for a passage in ``passage_lang`` and a query in
    ``query_lang`` (None: unclear)."""
    if query_lang is None:
        return UNKNOWN_LANGUAGE_WEIGHT
    return SAME_LANGUAGE_WEIGHT if passage_lang == query_lang else OTHER_LANGUAGE_WEIGHT


def score_range(scores: Sequence[float]) -> tuple[float, float]:
    """The DBSF range of ``scores``: mean - 3 and mean + 3 standard deviations."""
    mean = sum(scores) / len(scores)
    deviation = math.sqrt(sum((score - mean) ** 2 for score in scores) / len(scores))
    return mean - 3 * deviation, mean + 3 * deviation


def normalised(score: float, bounds: tuple[float, float]) -> float:
    """``score`` placed in ``bounds`` as a number in [0, 1] (1 when the range is empty)."""
    low, high = bounds
    if high <= low:
        return 1.0
    return min(1.0, max(0.0, (score - low) / (high - low)))


def fuse(dense: Sequence[Hit], keywords: Sequence[Scored], query_lang: str | None) -> list[Hit]:
    """The union of ``dense`` (hits scored by cosine, best first) and ``keywords`` (hits with
    their BM25 score, best first; their own score is the cosine too) by fused score, best
    first. A keyword hit the dense leg missed gets its dense part from its cosine."""
    if not keywords:
        return list(dense)
    dense_bounds = score_range([hit.score for hit in dense] or [0.0])
    keyword_bounds = score_range([score for score, _ in keywords])
    candidates = {hit.chunk_id: hit for hit in dense}
    keyword_parts: dict[int, float] = {}
    for score, hit in keywords:
        candidates.setdefault(hit.chunk_id, hit)
        weight = keyword_weight(query_lang, hit.payload.get("lang"))
        keyword_parts[hit.chunk_id] = weight * normalised(score, keyword_bounds)

    def fused(hit: Hit) -> float:
        return normalised(hit.score, dense_bounds) + keyword_parts.get(hit.chunk_id, 0.0)

    return sorted(candidates.values(), key=fused, reverse=True)


def best_per_document(scored: Sequence[Scored]) -> list[Scored]:
    """The first of ``scored`` (best first) of each document."""
    seen: set[int] = set()
    firsts = []
    for score, hit in scored:
        if hit.document_id not in seen:
            seen.add(hit.document_id)
            firsts.append((score, hit))
    return firsts


def stands_out(scores: list[float]) -> bool:
    """Whether the first of the BM25 ``scores`` of a keyword search's best hits (best first,
    one per document) stands out from the next one; a lone hit stands out too."""
    if not scores or scores[0] <= 0:
        return False
    return len(scores) == 1 or scores[0] >= STANDOUT_RATIO * scores[1]


def code_terms(text: str) -> list[str]:
    """The words of ``text`` written alike in every language: those with a digit or with two
    capitals or more in one hyphenated part ("ISO", "9001", "PBL"; not "Jean-Paul")."""
    words = (word.strip(".,;:!?()[]\"'") for word in text.split())
    return [
        word
        for word in words
        if any(c.isdigit() for c in word)
        or any(sum(c.isupper() for c in part) >= 2 for part in word.split("-"))
    ]


def code_query(query: KeywordQuery) -> KeywordQuery | None:
    """The code terms of ``query`` alone, searched in every language, when the query's
    language is known and it holds any: a passage in another language may stand out only on
    them (see :func:`hybrid_ranking`)."""
    if query.lang is None:
        return None
    codes = code_terms(query.text)
    return KeywordQuery(" ".join(codes)) if codes else None


def hybrid_ranking(
    dense: Sequence[Hit],
    keywords: Sequence[Scored],
    query: KeywordQuery,
    k: int,
    code_search: KeywordSearch = lambda _codes: (),
) -> list[Hit]:
    """The first ``k`` hits of the fused ranking, led by the best keyword hit when its BM25
    score stands out from other documents' (score fusion cannot put a rare term's one
    passage above every near dense match). A hit in a language the keyword leg does not count
    for leads only when its document is also the best hit of the query's code terms alone
    (:func:`code_query`, searched by ``code_search`` in that case only): a cross-language
    match on common words or a shared name is mostly chance; one on a code or a number is
    not."""
    ranked = fuse(dense, keywords, query.lang)
    best = best_per_document(keywords[:STANDOUT_CANDIDATES])
    if stands_out([score for score, _ in best]) and may_lead(best[0][1], query, code_search):
        lead = best[0][1]
        ranked = [lead, *(hit for hit in ranked if hit.chunk_id != lead.chunk_id)]
    return ranked[:k]


def may_lead(hit: Hit, query: KeywordQuery, code_search: KeywordSearch) -> bool:
    """Whether the standout keyword hit ``hit`` may lead (see :func:`hybrid_ranking`)."""
    if keyword_weight(query.lang, hit.payload.get("lang")) > 0:
        return True
    codes = code_query(query)
    if codes is None:
        return False
    code_hits = code_search(codes)
    return bool(code_hits) and code_hits[0][1].document_id == hit.document_id
