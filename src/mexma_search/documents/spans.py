"""Character spans and paragraph boundaries, shared by splitting, grouping and chunking."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A blank line (possibly holding spaces) separates paragraphs everywhere in the library.
PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range ``[start, end)`` into some text."""

    start: int
    end: int

    def of(self, text: str) -> str:
        """The slice of ``text`` this span covers."""
        return text[self.start : self.end]

    def shifted(self, offset: int) -> Span:
        """The same span moved by ``offset`` characters."""
        return Span(self.start + offset, self.end + offset)


def trimmed(text: str, start: int, end: int) -> Span | None:
    """The span ``[start, end)`` without surrounding whitespace, or None when it is blank."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if start < end else None


def paragraph_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Non-blank paragraphs of ``text[start:end]`` as trimmed spans into ``text``."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    cursor = start
    for match in PARAGRAPH_BREAK.finditer(text, start, end):
        span = trimmed(text, cursor, match.start())
        if span is not None:
            spans.append(span)
        cursor = match.end()
    last = trimmed(text, cursor, end)
    if last is not None:
        spans.append(last)
    return spans


def crosses_paragraph(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` contains a paragraph break."""
    return PARAGRAPH_BREAK.search(text, start, end) is not None
