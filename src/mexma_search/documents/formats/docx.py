"""Word documents (.docx): body paragraphs and table cells, in document order."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from docx import Document
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph

from mexma_search.documents.document import UNIT_SEPARATOR, ParsedDocument
from mexma_search.documents.errors import IngestError


def parse_docx(data: bytes, source: str) -> ParsedDocument:
    """Each non-empty paragraph and table cell becomes a paragraph of the text; the title is
    the core properties' (else a leading title line)."""
    try:
        document = Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError) as exc:
        raise IngestError(source, f"is not a valid .docx file ({exc})") from exc
    paragraphs = _block_texts(document.iter_inner_content())
    text = UNIT_SEPARATOR.join(p for p in paragraphs if p)
    return ParsedDocument.from_titled_text(text, "docx", document.core_properties.title or None)


def _block_texts(blocks: Iterator[Paragraph | Table]) -> Iterator[str]:
    for block in blocks:
        if isinstance(block, Paragraph):
            yield block.text.strip()
        else:
            yield from _table_texts(block)


def _table_texts(table: Table) -> Iterator[str]:
    # A merged cell is returned once per grid column it spans. Keeping the elements in the set
    # keeps their lxml proxies alive, so membership is identity.
    seen: set[object] = set()
    for row in table.rows:
        for cell in row.cells:
            if cell._tc not in seen:
                seen.add(cell._tc)
                yield from _block_texts(cell.iter_inner_content())
