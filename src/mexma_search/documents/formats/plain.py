"""Plain text files (.txt) in any detectable encoding."""

from __future__ import annotations

from mexma_search.documents.document import ParsedDocument
from mexma_search.documents.encoding import read_text


def parse_txt(data: bytes, source: str, encoding: str | None = None) -> ParsedDocument:
    """The decoded text (in ``encoding``, else the detected one) as it is; a leading title
    line becomes the title."""
    decoded = read_text(data, source, chosen=encoding)
    return ParsedDocument.from_titled_text(decoded.text, "txt").read_in(decoded.encoding)
