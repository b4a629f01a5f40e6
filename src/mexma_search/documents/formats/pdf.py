"""PDF (.pdf): the text layer, page by page; scanned PDFs without one are refused."""

from __future__ import annotations

import io

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from mexma_search.documents.document import UNIT_SEPARATOR, ParsedDocument
from mexma_search.documents.errors import IngestError

# The PDF header may follow a little junk; readers accept it within the first kilobyte.
_HEADER_WINDOW = 1024


def parse_pdf(data: bytes, source: str) -> ParsedDocument:
    """The extracted text of every page, pages separated by paragraph breaks; the title is
    the document information's (else a leading title line)."""
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        raise IngestError(source, "is not a PDF file (no %PDF header)")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(source, "is a password-protected PDF")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        title = _metadata_title(reader)
    except PdfReadError as exc:
        raise IngestError(source, f"is a damaged PDF ({exc})") from exc
    text = UNIT_SEPARATOR.join(page for page in pages if page)
    if not text:
        raise IngestError(
            source,
            f"has no text layer ({len(pages)} page(s) of images only?); run OCR on it first",
        )
    return ParsedDocument.from_titled_text(text, "pdf", title)


def _metadata_title(reader: PdfReader) -> str | None:
    """The title in the document information, if it holds a usable one."""
    try:
        title = reader.metadata.title if reader.metadata is not None else None
    except (PdfReadError, ValueError, TypeError, KeyError):
        return None  # damaged metadata costs the title only
    return title if isinstance(title, str) and title.strip() else None
