"""Exact phrases: a query of names, codes or numbers ("ISO 9001", "PBL 9 kap") puts the
passages that hold its words, in its order, before the others.

Words are runs of letters and digits after Unicode normalisation (NFC) and case folding, so
punctuation and spacing do not matter: "7 097" is in "7,097,329" and "Haber Bosch" in
"Haber–Bosch". Scores alone do not do this: the keyword leg scores each word on its own, and
a passage repeating one of them can outscore the one holding the phrase.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
_WORD = re.compile(r"\w+")


def words(text: str) -> str:
    """``text``'s words, normalised, joined and enclosed by single spaces (`` iso 9001 ``):
    a phrase is in a text when its words are a substring of the text's words."""
    folded = unicodedata.normalize("NFC", text).casefold()
    return f" {' '.join(_WORD.findall(folded))} "


def phrase_first(ranked: Sequence[T], phrase: str, text_of: Callable[[T], str]) -> list[T]:
    """``ranked`` with the items whose text holds ``phrase`` first; each part keeps its
    order. Unchanged for a phrase without words."""
    wanted = words(phrase)
    if not wanted.strip():
        return list(ranked)
    holding = [wanted in words(text_of(item)) for item in ranked]
    return [item for item, held in zip(ranked, holding, strict=True) if held] + [
        item for item, held in zip(ranked, holding, strict=True) if not held
    ]
