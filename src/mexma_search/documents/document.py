"""The parsed form of one document: its display text and the units it is made of."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

UNIT_SEPARATOR = "\n\n"
MAX_TITLE_CHARS = 200

# C0 controls other than tab and newline (NUL cannot even be stored in PostgreSQL text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
# a line that ends like a sentence or a clause is text, not a title
_SENTENCE_END = re.compile(r"[.!?,;:。！？、…]$")


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
    """The text shown to users and the units it is made of; chunk offsets point into ``text``.

    ``title``: the document's title (a leading title line, or the file's metadata), kept out
    of ``text``; it is shown with search results and prepended to each passage for embedding.
    ``encoding``: the text encoding a plain-text format was read in (None for PDF, DOCX, TMX).
    """

    text: str
    units: tuple[Unit, ...]
    format: str
    title: str | None = None
    encoding: str | None = None

    def read_in(self, encoding: str) -> ParsedDocument:
        """This document, recorded as read in ``encoding``."""
        return replace(self, encoding=encoding)

    @classmethod
    def from_text(cls, text: str, format: str) -> ParsedDocument:
        """A document that is one continuous text (one unit covering all of it)."""
        cleaned = clean_text(text).strip()
        return cls(cleaned, (Unit(0, len(cleaned)),) if cleaned else (), format)

    @classmethod
    def from_titled_text(cls, text: str, format: str, title: str | None = None) -> ParsedDocument:
        """A continuous text with a title: ``title`` (from metadata; its repeat as the first
        paragraph is dropped), else the first paragraph when it is a title line."""
        found, body = split_title(clean_text(text).strip(), title)
        document = cls.from_text(body, format)
        return cls(document.text, document.units, format, found)

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


def embedding_text(passage: str, title: str | None) -> str:
    """The text embedded for ``passage``: its document's ``title`` on a line before it, when
    one is given."""
    return f"{title}\n{passage}" if title else passage


def _one_line(text: str) -> str:
    return " ".join(text.split())


def is_title_line(paragraph: str) -> bool:
    """Whether a paragraph looks like a title: one short line not ending like a sentence."""
    line = paragraph.strip()
    return (
        bool(line)
        and "\n" not in line
        and len(line) <= MAX_TITLE_CHARS
        and not _SENTENCE_END.search(line)
    )


def split_title(text: str, title: str | None = None) -> tuple[str | None, str]:
    """``(title, body)`` of a trimmed text. A given ``title`` is kept (one line, at most
    ``MAX_TITLE_CHARS``) and its repeat as the first paragraph is dropped from the body;
    without one, a first paragraph that is a title line followed by more text is the title."""
    parts = _PARAGRAPH_BREAK.split(text, maxsplit=1)
    first, rest = parts[0], parts[1] if len(parts) == 2 else ""
    given = _one_line(title or "")[:MAX_TITLE_CHARS]
    if given:
        repeated = _one_line(first).casefold() == given.casefold() and rest.strip()
        return given, rest if repeated else text
    if rest.strip() and is_title_line(first):
        return first.strip(), rest
    return None, text
