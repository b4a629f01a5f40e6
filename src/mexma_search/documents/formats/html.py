"""HTML (.html, .htm): visible text only; block elements become paragraph breaks."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from mexma_search.documents.document import ParsedDocument
from mexma_search.documents.encoding import read_text

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


def parse_html(data: bytes, source: str, encoding: str | None = None) -> ParsedDocument:
    """The visible text of an HTML page, in ``encoding``, else the one its ``<meta charset>``
    declares, else the detected one; its ``<title>`` (else a leading title line) is the title."""
    declared = _META_CHARSET.search(data[:4096])
    decoded = read_text(
        data, source, declared.group(1).decode("ascii") if declared else None, chosen=encoding
    )
    extractor = _read(decoded.text)
    document = ParsedDocument.from_titled_text(extractor.text(), "html", extractor.title())
    return document.read_in(decoded.encoding)


def html_to_text(html: str) -> str:
    """Visible text of ``html``: whitespace collapsed outside ``<pre>``, blocks as paragraphs."""
    return _read(html).text()


def _read(html: str) -> _TextExtractor:
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return extractor


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._pieces: list[str] = []
        self._title: list[str] = []
        self._in_title = False
        self._invisible_depth = 0
        self._pre_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _INVISIBLE:
            self._invisible_depth += 1
            self._in_title = tag == "title" and not self._title
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
            self._in_title = False
        elif tag in _BLOCKS:
            self._pieces.append(_PARAGRAPH)
            if tag == "pre":
                self._pre_depth = max(0, self._pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)
        if self._invisible_depth:
            return
        self._pieces.append(data if self._pre_depth else _SPACES.sub(" ", data.replace("\n", " ")))

    def title(self) -> str | None:
        """The text of the first ``<title>`` element, if any."""
        return " ".join("".join(self._title).split()) or None

    def text(self) -> str:
        return _AROUND_NEWLINES.sub(_newlines, "".join(self._pieces)).strip()


def _newlines(match: re.Match[str]) -> str:
    return _PARAGRAPH if match.group(0).count("\n") > 1 else "\n"
