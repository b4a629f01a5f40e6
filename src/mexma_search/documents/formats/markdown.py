"""Markdown (.md): the text with its markup stripped lightly; code blocks stay verbatim."""

from __future__ import annotations

import re

from mexma_search.documents.document import ParsedDocument
from mexma_search.documents.encoding import read_text

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$")
_SETEXT_UNDERLINE = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_LINK_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+.*$")
_BLOCKQUOTE = re.compile(r"^\s{0,3}(>\s?)+")
_LIST_MARKER = re.compile(r"^(\s*)(?:[-*+]|\d{1,9}[.)])\s+")
_BLANK_RUN = re.compile(r"\n{3,}")

_INLINE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # image -> alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # inline link -> link text
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # reference link -> link text
    (re.compile(r"<((?:https?|mailto):[^>\s]+)>"), r"\1"),  # autolink
    (re.compile(r"`([^`\n]+)`"), r"\1"),  # inline code
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # strong
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),  # *emphasis*
    (re.compile(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)"), r"\1"),  # _emphasis_ (not snake_case)
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), r"\1"),  # strikethrough
)


def parse_md(data: bytes, source: str, encoding: str | None = None) -> ParsedDocument:
    """The text of a Markdown file (in ``encoding``, else the detected one) without heading
    markers, emphasis and link targets; a leading heading (or title line) becomes the title."""
    decoded = read_text(data, source, chosen=encoding)
    document = ParsedDocument.from_titled_text(strip_markdown(decoded.text), "md")
    return document.read_in(decoded.encoding)


def strip_markdown(markdown: str) -> str:
    """Markdown source to readable text, line by line; fenced code is kept as it is."""
    lines: list[str] = []
    fence: str | None = None
    for line in markdown.splitlines():
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            else:
                lines.append(line)
        elif opening:
            fence = opening.group(1)
        elif heading := _HEADING.match(line):
            # a heading is a paragraph of its own even when no blank line follows it
            lines.extend(("", _strip_inline(heading.group(1)), ""))
        else:
            lines.append(_strip_line(line))
    return _BLANK_RUN.sub("\n\n", "\n".join(lines))


def _strip_line(line: str) -> str:
    if _RULE.match(line) or _SETEXT_UNDERLINE.match(line) or _LINK_DEFINITION.match(line):
        return ""
    return _strip_inline(_LIST_MARKER.sub(r"\1", _BLOCKQUOTE.sub("", line)))


def _strip_inline(line: str) -> str:
    for pattern, replacement in _INLINE:
        line = pattern.sub(replacement, line)
    return line
