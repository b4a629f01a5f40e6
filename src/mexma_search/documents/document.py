"""The parsed form of one document: its display text and the units it is made of."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

UNIT_SEPARATOR = "\n\n"

# C0 controls other than tab and newline (NUL cannot even be stored in PostgreSQL text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Unit:
    """A natural piece of a document (a TMX segment, a CSV row, a JSONL record, or the whole text).

    ``start``/``end`` are offsets into :attr:`ParsedDocument.text`; ``language`` is the language
    the file declares for this unit (e.g. a TMX ``xml:lang``), if any.
    """

    start: int
    end: int
    language: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """The text shown to users and the units it is made of; chunk offsets point into ``text``."""

    text: str
    units: tuple[Unit, ...]
    format: str

    @classmethod
    def from_text(cls, text: str, format: str) -> ParsedDocument:
        """A document that is one continuous text (one unit covering all of it)."""
        cleaned = clean_text(text).strip()
        return cls(cleaned, (Unit(0, len(cleaned)),) if cleaned else (), format)

    @classmethod
    def from_units(cls, pieces: Iterable[tuple[str, str | None]], format: str) -> ParsedDocument:
        """A document made of ``(text, declared language)`` units joined by blank lines.

        Blank units are dropped, so every unit holds text.
        """
        parts: list[str] = []
        units: list[Unit] = []
        offset = 0
        for raw, language in pieces:
            piece = clean_text(raw).strip()
            if not piece:
                continue
            if parts:
                parts.append(UNIT_SEPARATOR)
                offset += len(UNIT_SEPARATOR)
            parts.append(piece)
            units.append(Unit(offset, offset + len(piece), language))
            offset += len(piece)
        return cls("".join(parts), tuple(units), format)


def clean_text(text: str) -> str:
    """Unify line endings and drop control characters that have no place in stored text."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
