"""Delimited tables (.csv, .tsv): one text column, each row a unit."""

from __future__ import annotations

import csv
import io

from mexma_search.documents.document import ParsedDocument
from mexma_search.documents.encoding import read_text
from mexma_search.documents.errors import IngestError

_SNIFF_BYTES = 16_384
_CSV_DELIMITERS = ",;\t|"


def parse_csv(
    data: bytes, source: str, text_column: str | None, encoding: str | None = None
) -> ParsedDocument:
    """Rows of a comma (or sniffed ``;``/``|``/tab) separated file with a header row;
    ``encoding`` overrides the detected one."""
    decoded = read_text(data, source, chosen=encoding)
    text = decoded.text
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:_SNIFF_BYTES], delimiters=_CSV_DELIMITERS
        )
    except csv.Error:
        dialect = csv.excel
    return _parse_table(text, source, text_column, dialect, "csv").read_in(decoded.encoding)


def parse_tsv(
    data: bytes, source: str, text_column: str | None, encoding: str | None = None
) -> ParsedDocument:
    """Rows of a tab separated file with a header row; ``encoding`` overrides the detected one."""
    decoded = read_text(data, source, chosen=encoding)
    document = _parse_table(decoded.text, source, text_column, csv.excel_tab, "tsv")
    return document.read_in(decoded.encoding)


def _parse_table(
    text: str,
    source: str,
    text_column: str | None,
    dialect: type[csv.Dialect] | csv.Dialect,
    format: str,
) -> ParsedDocument:
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        rows = [row for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise IngestError(source, f"line {reader.line_num}: malformed row ({exc})") from exc
    if not rows:
        raise IngestError(source, "is empty (no header row)")
    header = [name.strip() for name in rows[0]]
    body = rows[1:]
    column = (
        _named_column(header, text_column, source)
        if text_column is not None
        else _longest_column(header, body)
    )
    return ParsedDocument.from_units(
        ((row[column] if column < len(row) else "", None) for row in body), format
    )


def _named_column(header: list[str], name: str, source: str) -> int:
    if name in header:
        return header.index(name)
    folded = [h.casefold() for h in header]
    if name.casefold() in folded:
        return folded.index(name.casefold())
    raise IngestError(
        source, f"has no column {name!r}; available columns: {', '.join(map(repr, header))}"
    )


def _longest_column(header: list[str], body: list[list[str]]) -> int:
    """The column whose cells are longest on average: the one most likely to hold the text."""
    totals = [0] * len(header)
    for row in body:
        for index, cell in enumerate(row[: len(header)]):
            totals[index] += len(cell)
    return max(range(len(header)), key=totals.__getitem__)
