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


@dataclass(frozen=True)
class KeywordQuery:
    """The words of a query for the keyword leg: its text, and its language when known (the
    keyword leg weighs passages in that language more than others; see
    :mod:`~mexma_search.index.fusion`)."""

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
