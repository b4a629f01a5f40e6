"""Plain text files (.txt) in any detectable encoding."""

from __future__ import annotations

from mexma_search.documents.document import ParsedDocument
from mexma_search.documents.encoding import decode_text


def parse_txt(data: bytes, source: str) -> ParsedDocument:
    """The decoded text as it is; a leading title line becomes the title."""
    return ParsedDocument.from_titled_text(decode_text(data, source), "txt")
