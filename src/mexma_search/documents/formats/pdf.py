"""PDF (.pdf): the text layer, page by page; pages without one go through OCR when it is
enabled (:mod:`mexma_search.documents.ocr`)."""

from __future__ import annotations

import io

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from mexma_search.documents.document import UNIT_SEPARATOR, ParsedDocument
from mexma_search.documents.errors import IngestError
from mexma_search.documents.ocr import OcrOptions, ocr_pdf

# The PDF header may follow a little junk; readers accept it within the first kilobyte.
_HEADER_WINDOW = 1024


def parse_pdf(data: bytes, source: str, ocr: OcrOptions | None = None) -> ParsedDocument:
    """The text of every page, pages separated by paragraph breaks; with ``ocr``, pages
    without a text layer are read by OCR first. The title is the document information's
    (else a leading title line)."""
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        raise IngestError(source, "is not a PDF file (no %PDF header)")
    pages, title = _read(data, source)
    if ocr is not None and ocr.languages and not all(pages):
        pages = _read(ocr_pdf(data, source, ocr), source)[0]
    text = UNIT_SEPARATOR.join(page for page in pages if page)
    if not text:
        raise IngestError(
            source,
            f"has no text layer ({len(pages)} page(s) of images only?) and OCR is off "
            "(MEXMA_OCR_LANGUAGES)",
        )
    return ParsedDocument.from_titled_text(text, "pdf", title)


def _read(data: bytes, source: str) -> tuple[list[str], str | None]:
    """The text of each page, and the title in the document information."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(source, "is a password-protected PDF")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        return pages, _metadata_title(reader)
    except PdfReadError as exc:
        raise IngestError(source, f"is a damaged PDF ({exc})") from exc


def _metadata_title(reader: PdfReader) -> str | None:
    """The title in the document information, if it holds a usable one."""
    try:
        title = reader.metadata.title if reader.metadata is not None else None
    except (PdfReadError, ValueError, TypeError, KeyError):
        return None  # damaged metadata costs the title only
    return title if isinstance(title, str) and title.strip() else None
