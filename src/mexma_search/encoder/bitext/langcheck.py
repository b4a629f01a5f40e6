"""Declared-versus-detected language check with py3langid.

Rule: a side is checked only if its declared language is one py3langid knows (compared by
primary subtag, ``nb``/``nn`` counted as ``no``) and the text has at least ``min_chars``
characters; only the first ``max_chars`` characters are classified. It is a mismatch only
when py3langid's normalised confidence in another language is at least ``min_confidence``;
the default, 0.9, is high because lower thresholds flag correct sentences as close relatives
(Spanish as Extremaduran) while 0.9 still catches most sides in the wrong language.
"""

from __future__ import annotations

from functools import cache

from mexma_search.encoder.bitext.core import primary_subtag
from mexma_search.encoder.language_id import language_identifier

_ALIASES = {"nb": "no", "nn": "no"}


def _base(code: str) -> str:
    primary = primary_subtag(code)
    return _ALIASES.get(primary, primary)


@cache
def _known_languages() -> frozenset[str]:
    return frozenset(_base(label) for label in language_identifier().labels)


class LanguageChecker:
    """Detect the language of a text and compare it with the declared one."""

    def __init__(
        self, *, min_chars: int = 20, max_chars: int = 200, min_confidence: float = 0.9
    ) -> None:
        self.min_chars = min_chars
        self.max_chars = max_chars
        self.min_confidence = min_confidence

    def checkable(self, text: str, declared: str | None) -> bool:
        """Whether the rule above applies to this side."""
        if declared is None or len(text) < self.min_chars:
            return False
        return _base(declared) in _known_languages()

    def mismatch(self, text: str, declared: str | None) -> str | None:
        """The detected language if it confidently differs from ``declared``, else None."""
        detected, confidence = language_identifier().classify(text[: self.max_chars])
        if declared is None or confidence < self.min_confidence:
            return None
        if _base(detected) == _base(declared):
            return None
        return detected
