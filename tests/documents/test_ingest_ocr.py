"""Scanned PDFs: pages without a text layer are read by OCR (OCRmyPDF + Tesseract) in the
configured languages, pages with one are kept as they are; without OCR the error says how to
enable it. The scans are made here: text rendered to images, one page per language."""

from __future__ import annotations

import io
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter

from mexma_search.app.settings import Settings
from mexma_search.documents import IngestError, parse_bytes
from mexma_search.documents.ocr import OcrOptions
from mexma_search.jobs.backends import open_services
from mexma_search.jobs.inprocess import InProcessWorker

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
TIMEOUT_S = 120
ENGLISH = ["The river flows under the old stone bridge.", "Boats wait by the harbour wall."]
# Pillow's built-in font (no system font is needed) has no accented letters
SPANISH = ["El tren sale de la ciudad a las ocho.", "La panadera abre muy temprano."]
# a system program: scripts/test.sh installs it where it can (root and apt-get)
needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None,
    reason="Tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-spa)",
)


def _scanned_page(lines: list[str]) -> Image.Image:
    page = Image.new("L", (1700, 2200), "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=44)
    for n, line in enumerate(lines):
        draw.text((120, 200 + 90 * n), line, fill="black", font=font)
    return page


def _scanned_pdf(*pages: list[str]) -> bytes:
    """A PDF of page images only (no text layer), at 200 dpi."""
    images = [_scanned_page(lines) for lines in pages]
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=200, save_all=True, append_images=images[1:])
    return out.getvalue()


def _with_text_page(scan: bytes) -> bytes:
    """The scan followed by the first page of a PDF that has a text layer."""
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(scan)))
    writer.append(PdfReader(DOCS / "river_en_fr.pdf"), pages=[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _words(text: str) -> set[str]:
    return {word.strip(".,").lower() for word in text.split()}


@needs_tesseract
def test_scanned_pages_in_two_languages_are_read_and_text_pages_kept() -> None:
    scan = _scanned_pdf(ENGLISH, SPANISH)
    assert all(
        not (page.extract_text() or "").strip() for page in PdfReader(io.BytesIO(scan)).pages
    )
    data = _with_text_page(scan)
    text_page = (PdfReader(io.BytesIO(data)).pages[2].extract_text() or "").strip()

    parsed = parse_bytes(data, "scan.pdf", ocr=OcrOptions(("eng", "spa")))
    words = _words(parsed.text)
    assert {"river", "stone", "bridge", "harbour"} <= words
    assert {"tren", "ciudad", "panadera", "temprano"} <= words
    assert text_page and text_page.split()[0] in parsed.text


def test_without_ocr_a_scan_is_refused_and_says_why() -> None:
    scan = _scanned_pdf(ENGLISH)
    for options in (None, OcrOptions(())):
        with pytest.raises(IngestError, match=r"no text layer .* OCR is off"):
            parse_bytes(scan, "scan.pdf", ocr=options)


def test_where_ocr_is_not_installed_the_error_says_how_to_enable_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    scan = _scanned_pdf(ENGLISH)
    monkeypatch.setitem(sys.modules, "ocrmypdf", None)  # the package is missing
    with pytest.raises(IngestError, match="OCR is not installed: install Tesseract"):
        parse_bytes(scan, "scan.pdf", ocr=OcrOptions(("eng",)))
    monkeypatch.undo()
    monkeypatch.setenv("PATH", str(tmp_path))  # the package is there, tesseract is not
    with pytest.raises(IngestError, match=r"OCR cannot run .*apt-get install tesseract-ocr"):
        parse_bytes(scan, "scan.pdf", ocr=OcrOptions(("eng",)))


@needs_tesseract
def test_a_language_without_its_pack_is_named() -> None:
    with pytest.raises(IngestError, match=r"OCR cannot run.*(xho|language)"):
        parse_bytes(_scanned_pdf(ENGLISH), "scan.pdf", ocr=OcrOptions(("xho",)))


@needs_tesseract
def test_an_uploaded_scan_is_indexed_in_the_languages_the_setting_names(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(_scanned_pdf(ENGLISH, SPANISH))
    services = open_services(make_settings(ocr_languages="eng,spa"))
    try:
        with InProcessWorker(services):
            job = services.wait_for_job(services.ingest_paths([scan])[0], TIMEOUT_S)
        assert job.status == "succeeded", job.error
        (document,) = services.list_documents()
        assert document.status == "indexed" and {"en", "es"} <= set(document.languages)
        found = services.search("tren ciudad", k=1, group=False)
        assert "tren" in found[0].text
    finally:
        services.runtime.close()
