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
    without a text layer are read by OCR first."""
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        raise IngestError(source, "is not a PDF file (no %PDF header)")
    pages = _page_texts(data, source)
    if ocr is not None and ocr.languages and not all(pages):
        pages = _page_texts(ocr_pdf(data, source, ocr), source)
    text = UNIT_SEPARATOR.join(page for page in pages if page)
    if not text:
        raise IngestError(
            source,
            f"has no text layer ({len(pages)} page(s) of images only?) and OCR is off "
            "(MEXMA_OCR_LANGUAGES)",
        )
    return ParsedDocument.from_text(text, "pdf")


def _page_texts(data: bytes, source: str) -> list[str]:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(source, "is a password-protected PDF")
        return [(page.extract_text() or "").strip() for page in reader.pages]
    except PdfReadError as exc:
        raise IngestError(source, f"is a damaged PDF ({exc})") from exc
