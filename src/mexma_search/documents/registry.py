"""Which parser reads which file: the registry by extension and the parse entry points."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePath

from mexma_search.documents.document import ParsedDocument
from mexma_search.documents.encoding import text_encoding
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
# (data, name, encoding): plain-text formats, read in a chosen encoding or the detected one
TextParser = Callable[[bytes, str, str | None], ParsedDocument]
# (data, name, text column, encoding): formats made of records, where the caller may name the
# field holding the text
FieldParser = Callable[[bytes, str, str | None, str | None], ParsedDocument]

_PARSERS: dict[str, Parser] = {
    ".pdf": parse_pdf,
    ".docx": parse_docx,
    ".tmx": parse_tmx,
}
_TEXT_PARSERS: dict[str, TextParser] = {
    ".txt": parse_txt,
    ".md": parse_md,
    ".markdown": parse_md,
    ".html": parse_html,
    ".htm": parse_html,
}
_FIELD_PARSERS: dict[str, FieldParser] = {
    ".csv": parse_csv,
    ".tsv": parse_tsv,
    ".jsonl": parse_jsonl,
}
# the formats read as text in some encoding (PDF, DOCX and TMX say their own)
TEXT_EXTENSIONS: tuple[str, ...] = tuple(sorted({*_TEXT_PARSERS, *_FIELD_PARSERS}))
ARCHIVE_EXTENSIONS: tuple[str, ...] = (".zip",)
DOCUMENT_EXTENSIONS: tuple[str, ...] = tuple(sorted({*_PARSERS, *TEXT_EXTENSIONS}))
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
    data: bytes,
    name: str,
    *,
    text_column: str | None = None,
    ocr: OcrOptions | None = None,
    encoding: str | None = None,
) -> ParsedDocument:
    """Parse a file's content; ``name`` gives the format (by extension) and labels errors;
    ``ocr`` reads the scanned pages of PDFs; ``encoding`` (a plain-text format's) overrides
    the detected one (ValueError when Python knows no such text encoding)."""
    extension = _check_extension(name)
    if encoding is not None:
        encoding = text_encoding(encoding)
        if extension not in TEXT_EXTENSIONS:
            raise IngestError(name, f"is a {extension} file, which names its own encoding")
    try:
        if extension == ".pdf":
            document = parse_pdf(data, name, ocr)
        elif extension in _FIELD_PARSERS:
            document = _FIELD_PARSERS[extension](data, name, text_column, encoding)
        elif extension in _TEXT_PARSERS:
            document = _TEXT_PARSERS[extension](data, name, encoding)
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
