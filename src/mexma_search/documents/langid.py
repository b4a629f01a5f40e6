"""Language identification with py3langid's bundled model: offline, loaded once, lazily."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from mexma_search.documents.scripts import DENSE_CHAR
from mexma_search.encoder.language_id import language_identifier

UNDETERMINED = "und"
MIN_LETTERS = 12
MIN_CONFIDENCE = 0.4
# Dense-script characters count this many letters towards MIN_LETTERS.
_DENSE_WEIGHT = 3
# Language id is statistical: a few kilobytes decide as well as a whole chapter.
_SAMPLE_CHARS = 4096

# The model knows close varieties that steal probability from the major language on short
# or ordinary text (standard Chinese read as Wu, Spanish as Aragonese). Their probability is
# folded into the major language; "zxx" is the model's label for non-linguistic content.
_FOLDED = {
    "wuu": "zh",
    "yue": "zh",
    "an": "es",
    "ext": "es",
    "gcf": "fr",
    "gcr": "fr",
    "pcm": "en",
    "arz": "ar",
    "ary": "ar",
    "nn": "no",
    "uzs": "uz",
    "hbo": "he",
    "grc": "el",
    "zxx": UNDETERMINED,
}


def detect_language(
    text: str,
    *,
    languages: Iterable[str] | None = None,
    fallback: str = UNDETERMINED,
    min_confidence: float = MIN_CONFIDENCE,
) -> tuple[str, float]:
    """``(ISO 639-1 code, confidence in [0, 1])`` for ``text``.

    Text too short to judge returns ``(fallback, 0.0)``; an ambiguous guess returns
    ``(fallback, confidence)``. ``languages`` restricts the candidates (e.g. the languages a
    collection is known to hold).
    """
    sample = text[:_SAMPLE_CHARS]
    if _letter_weight(sample) < MIN_LETTERS:
        return fallback, 0.0
    allowed = tuple(sorted(set(languages))) if languages is not None else None
    scores: Counter[str] = Counter()
    for code, probability in language_identifier(allowed).rank(sample):
        scores[_FOLDED.get(code, code)] += probability
    language, summed = scores.most_common(1)[0]
    confidence = min(summed, 1.0)  # float32 probabilities can sum a hair above 1
    if language == UNDETERMINED or confidence < min_confidence:
        return fallback, confidence
    return language, confidence


def normalize_language(code: str | None) -> str:
    """A declared language tag as a base code: ``en-US`` -> ``en``, ``zh_Hans`` -> ``zh``."""
    if not code or not code.strip():
        return UNDETERMINED
    base = code.strip().replace("_", "-").split("-")[0].lower()
    return _FOLDED.get(base, base)


def dominant_language(guesses: Iterable[tuple[str, int]]) -> str:
    """The language covering the most characters among ``(language, length)`` guesses."""
    weights: Counter[str] = Counter()
    for language, length in guesses:
        if language != UNDETERMINED:
            weights[language] += length
    return weights.most_common(1)[0][0] if weights else UNDETERMINED


def _letter_weight(text: str) -> int:
    dense = len(DENSE_CHAR.findall(text))
    letters = sum(1 for char in text if char.isalpha())
    return letters + dense * (_DENSE_WEIGHT - 1)
