"""OCR of scanned PDF pages (pages without a text layer) with OCRmyPDF and Tesseract."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mexma_search.documents.errors import IngestError

HOW_TO_ENABLE = (
    "install Tesseract with the language packs (Debian/Ubuntu: apt-get install tesseract-ocr "
    "tesseract-ocr-spa ...) and the ocrmypdf Python package, or use the Docker image"
)


@dataclass(frozen=True)
class OcrOptions:
    """Tesseract languages to read scanned pages in (e.g. ``("eng", "spa")``); none: no OCR."""

    languages: tuple[str, ...]


def ocr_pdf(data: bytes, source: str, options: OcrOptions) -> bytes:
    """The PDF with a text layer added to its pages that have none (pages with text are left
    as they are). IngestError saying how to enable OCR where it is not installed."""
    try:
        import ocrmypdf
        from ocrmypdf.exceptions import ExitCodeException, MissingDependencyError
    except ImportError as exc:
        raise IngestError(source, f"is scanned and OCR is not installed: {HOW_TO_ENABLE}") from exc
    logging.getLogger("ocrmypdf").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="mexma-ocr-") as scratch:
        given, done = Path(scratch) / "in.pdf", Path(scratch) / "out.pdf"
        given.write_bytes(data)
        try:
            ocrmypdf.ocr(
                given,
                done,
                language=list(options.languages),
                skip_text=True,
                output_type="pdf",
                optimize=0,
                progress_bar=False,
            )
        except MissingDependencyError as exc:
            raise IngestError(
                source, f"is scanned and OCR cannot run ({exc}): {HOW_TO_ENABLE}"
            ) from exc
        except ExitCodeException as exc:
            raise IngestError(source, f"is scanned and OCR failed ({exc})") from exc
        return done.read_bytes()
