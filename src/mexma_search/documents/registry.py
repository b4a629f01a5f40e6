"""Which parser reads which file: the registry by extension and the parse entry points."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePath

from mexma_search.documents.document import ParsedDocument
from mexma_search.documents.errors import IngestError
from mexma_search.documents.formats.docx import parse_docx
from mexma_search.documents.formats.html import parse_html
from mexma_search.documents.formats.jsonl import parse_jsonl
from mexma_search.documents.formats.markdown import parse_md
from mexma_search.documents.formats.pdf import parse_pdf
from mexma_search.documents.formats.plain import parse_txt
from mexma_search.documents.formats.tabular import parse_csv, parse_tsv
from mexma_search.documents.formats.tmx import parse_tmx
from mexma_search.documents.ocr import OcrOptions

Parser = Callable[[bytes, str], ParsedDocument]
FieldParser = Callable[[bytes, str, str | None], ParsedDocument]

_PARSERS: dict[str, Parser] = {
    ".txt": parse_txt,
    ".md": parse_md,
    ".markdown": parse_md,
    ".html": parse_html,
    ".htm": parse_html,
    ".pdf": parse_pdf,
    ".docx": parse_docx,
    ".tmx": parse_tmx,
}
# Formats made of records, where the caller may name the field holding the text.
_FIELD_PARSERS: dict[str, FieldParser] = {
    ".csv": parse_csv,
    ".tsv": parse_tsv,
    ".jsonl": parse_jsonl,
}
ARCHIVE_EXTENSIONS: tuple[str, ...] = (".zip",)
DOCUMENT_EXTENSIONS: tuple[str, ...] = tuple(sorted({*_PARSERS, *_FIELD_PARSERS}))
SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(sorted({*DOCUMENT_EXTENSIONS, *ARCHIVE_EXTENSIONS}))


def parse_document(path: Path, *, text_column: str | None = None) -> ParsedDocument:
    """Parse one file on disk; ``text_column`` picks the CSV/TSV column or JSONL field.

    Raises:
        IngestError: unsupported extension, unreadable file, or a document without text.
    """
    name = path.name
    _check_extension(name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(name, f"cannot be read ({exc.strerror or exc})") from exc
    return parse_bytes(data, name, text_column=text_column)


def parse_bytes(
    data: bytes, name: str, *, text_column: str | None = None, ocr: OcrOptions | None = None
) -> ParsedDocument:
    """Parse a file's content; ``name`` gives the format (by extension) and labels errors;
    ``ocr`` reads the scanned pages of PDFs."""
    extension = _check_extension(name)
    try:
        if extension == ".pdf":
            document = parse_pdf(data, name, ocr)
        elif extension in _FIELD_PARSERS:
            document = _FIELD_PARSERS[extension](data, name, text_column)
        else:
            document = _PARSERS[extension](data, name)
    except IngestError:
        raise
    except Exception as exc:
        # the format libraries raise many exception types on malformed input
        raise IngestError(
            name, f"could not be read as {extension} ({type(exc).__name__}: {exc})"
        ) from exc
    if not document.text:
        raise IngestError(name, "contains no text")
    return document


def _check_extension(name: str) -> str:
    extension = PurePath(name).suffix.lower()
    if extension in ARCHIVE_EXTENSIONS:
        raise IngestError(name, "is an archive: walk it with iter_documents()")
    if extension not in DOCUMENT_EXTENSIONS:
        shown = f"extension {extension!r}" if extension else "no extension"
        raise IngestError(
            name,
            f"has {shown}, which is not supported; supported: {', '.join(SUPPORTED_EXTENSIONS)}",
        )
    return extension
