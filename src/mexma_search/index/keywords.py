"""Keyword (BM25) vectors: the second leg of hybrid search.

Every passage gets a sparse BM25 vector from its own language's tokenizer and stemmer (the
multilingual tokenizer for scripts written without spaces); the engine weighs each term by its
inverse document frequency at query time. The same vectors go to Qdrant Edge and to a Qdrant
server, so both rank alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from qdrant_edge import Bm25, Bm25Config, SparseVector, TokenizerType

KEYWORD_VECTOR = "keywords"
# ISO 639-1 code -> the BM25 language whose stopwords and Snowball stemmer apply
STEMMED_LANGUAGES = {
    "ar": "arabic",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "it": "italian",
    "nb": "norwegian",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
    "tr": "turkish",
}
# written without spaces between words: split by the multilingual tokenizer
UNSPACED_LANGUAGES = frozenset({"zh", "ja", "ko", "th", "lo", "km", "my"})
# weighted reciprocal rank fusion: the dense leg counts 1
RRF_K = 60
SAME_LANGUAGE_WEIGHT = 0.6
OTHER_LANGUAGE_WEIGHT = 0.3
# a query whose language is unclear is mostly names, numbers or codes: its keywords count more
UNKNOWN_LANGUAGE_WEIGHT = 2.0
# candidates each leg of a hybrid search contributes to the fusion (at least k)
HYBRID_DEPTH = 100
# a keyword hit whose BM25 score is at least this many times the best of any other document's
# goes first (rank fusion cannot see that a rare term matched one passage far better than the
# rest), looked for among this many keyword hits
STANDOUT_RATIO = 2.0
STANDOUT_CANDIDATES = 10


@dataclass(frozen=True)
class KeywordQuery:
    """The words of a query for the keyword leg: its text, and its language when known (the
    keyword leg weighs passages in that language more than others)."""

    text: str
    lang: str | None = None


@lru_cache(maxsize=64)
def _model(lang: str | None) -> Bm25:
    if lang in UNSPACED_LANGUAGES:
        return Bm25(Bm25Config(tokenizer=TokenizerType.Multilingual))
    language = STEMMED_LANGUAGES.get(lang or "")
    if language is None:
        return Bm25(Bm25Config(tokenizer=TokenizerType.Multilingual, stopwords=None))
    return Bm25(Bm25Config(language=language))


@dataclass(frozen=True)
class KeywordLeg:
    """One keyword prefetch of a hybrid query: the conditions it adds to the search's filters
    (``must``: any of the values; ``must_not``: none of them) and its weight in the fusion."""

    must: dict[str, list[str]]
    must_not: dict[str, list[str]]
    weight: float


def keyword_legs(query: KeywordQuery) -> list[KeywordLeg]:
    """The keyword prefetches for ``query``: passages in the query's language, weighted more,
    and the others (where only names, numbers and codes match across languages)."""
    if query.lang is None:
        return [KeywordLeg({}, {}, UNKNOWN_LANGUAGE_WEIGHT)]
    same = {"lang": [query.lang]}
    return [
        KeywordLeg(same, {}, SAME_LANGUAGE_WEIGHT),
        KeywordLeg({}, same, OTHER_LANGUAGE_WEIGHT),
    ]


def hybrid_depth(k: int) -> int:
    """How many candidates each leg of a hybrid search for ``k`` hits brings to the fusion."""
    return max(HYBRID_DEPTH, k)


def stands_out(scores: list[float]) -> bool:
    """Whether the first of the BM25 ``scores`` of a keyword search's best hits (best first,
    one per document) stands out from the next one; a lone hit stands out too."""
    if not scores or scores[0] <= 0:
        return False
    return len(scores) == 1 or scores[0] >= STANDOUT_RATIO * scores[1]


def document_keywords(text: str, lang: str | None) -> SparseVector:
    """The BM25 vector of a passage in language ``lang`` (an ISO 639-1 code, or None)."""
    return _model(lang).embed_document(text)


def query_keywords(query: KeywordQuery) -> SparseVector:
    """The BM25 query vector of ``query``. A query of unknown language (a name, a code, a
    few words) gets its terms as every stemmer cuts them, and unstemmed, so that they meet
    the passages stemmed in any language."""
    if query.lang is not None:
        return _model(query.lang).embed_query(query.text)
    weights: dict[int, float] = {}
    for lang in (None, *sorted(set(STEMMED_LANGUAGES))):
        vector = _model(lang).embed_query(query.text)
        for index, value in zip(vector.indices, vector.values, strict=True):
            weights[index] = max(value, weights.get(index, 0.0))
    return SparseVector(indices=list(weights), values=list(weights.values()))
