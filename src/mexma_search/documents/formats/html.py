"""HTML (.html, .htm): visible text only; block elements become paragraph breaks."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from mexma_search.documents.document import ParsedDocument
from mexma_search.documents.encoding import decode_text

_INVISIBLE = frozenset(
    {"script", "style", "noscript", "template", "title", "svg", "math", "iframe", "object"}
)
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "caption", "dd", "details", "div", "dl",
        "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary",
        "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_PARAGRAPH = "\n\n"
_SPACES = re.compile(r"[^\S\n]+")
_AROUND_NEWLINES = re.compile(r"[^\S\n]*\n\s*")


def parse_html(data: bytes, source: str) -> ParsedDocument:
    """The visible text of an HTML page, in the encoding its ``<meta charset>`` declares."""
    declared = _META_CHARSET.search(data[:4096])
    text = decode_text(data, source, declared.group(1).decode("ascii") if declared else None)
    return ParsedDocument.from_text(html_to_text(text), "html")


def html_to_text(html: str) -> str:
    """Visible text of ``html``: whitespace collapsed outside ``<pre>``, blocks as paragraphs."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return extractor.text()


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._pieces: list[str] = []
        self._invisible_depth = 0
        self._pre_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _INVISIBLE:
            self._invisible_depth += 1
        elif tag == "br":
            self._pieces.append("\n")
        elif tag in _BLOCKS:
            self._pieces.append(_PARAGRAPH)
            if tag == "pre":
                self._pre_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _INVISIBLE:  # a self-closed <svg/> opens nothing
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE:
            self._invisible_depth = max(0, self._invisible_depth - 1)
        elif tag in _BLOCKS:
            self._pieces.append(_PARAGRAPH)
            if tag == "pre":
                self._pre_depth = max(0, self._pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if self._invisible_depth:
            return
        self._pieces.append(data if self._pre_depth else _SPACES.sub(" ", data.replace("\n", " ")))

    def text(self) -> str:
        return _AROUND_NEWLINES.sub(_newlines, "".join(self._pieces)).strip()


def _newlines(match: re.Match[str]) -> str:
    return _PARAGRAPH if match.group(0).count("\n") > 1 else "\n"
