"""TSV and CSV bitext readers (streaming)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import BinaryIO, Literal

from mexma_search.encoder.bitext.columns import Choice, Selection, looks_like_header, resolve
from mexma_search.encoder.bitext.core import BitextError, BitextPair
from mexma_search.encoder.bitext.textio import iter_lines, open_binary


def _rows(path: Path, reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(first_line_of_row, fields)``; a CSV row may span several lines."""
    previous = 0
    try:
        for row in reader:
            yield previous + 1, row
            previous = reader.line_num  # type: ignore[attr-defined]
    except csv.Error as exc:
        raise BitextError(f"malformed row: {exc}", path=path, line=previous + 1) from None


def read_delimited(
    path: Path, selection: Selection, *, delimiter: str, header: bool | None
) -> Iterator[BitextPair]:
    """Read a TSV (``delimiter="\\t"``, fields unquoted) or CSV (standard quoting) bitext.

    The first row is a header when ``header`` is true, when columns are chosen by name, or
    (``header=None``) when it looks like one (see :func:`looks_like_header`). Blank lines
    become pairs with empty sides, so validation reports them.
    """
    with open_binary(path) as stream:
        rows = _rows(path, _reader(path, stream, delimiter))
        first = next(rows, None)
        if first is None:
            return
        if header is None:
            header = selection.names_columns() or looks_like_header(first[1])
        width = len(first[1])
        names = first[1] if header else None
        choice = resolve(selection, names, width, path)
        body = rows if header else chain([first], rows)
        yield from _pairs(path, body, width, choice, delimiter)


def first_row(path: Path, delimiter: str, header: bool | None) -> tuple[list[str], bool]:
    """The fields of the file's first row, and whether it is a header (``header``, else as
    :func:`looks_like_header` decides); BitextError for an empty file."""
    with open_binary(path) as stream:
        first = next(_rows(path, _reader(path, stream, delimiter)), None)
    if first is None:
        raise BitextError("the file is empty", path=path)
    return first[1], looks_like_header(first[1]) if header is None else header


def _reader(path: Path, stream: BinaryIO, delimiter: str) -> Iterator[list[str]]:
    """CSV rows of ``stream``: TSV fields unquoted, CSV with standard quoting."""
    quoting: Literal[0, 3] = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    lines = (text for _, text in iter_lines(path, stream))
    return csv.reader(lines, delimiter=delimiter, quoting=quoting, strict=True)


def _pairs(
    path: Path, rows: Iterator[tuple[int, list[str]]], width: int, choice: Choice, delimiter: str
) -> Iterator[BitextPair]:
    kind = "tab" if delimiter == "\t" else repr(delimiter)
    for line, row in rows:
        if not row:
            row = [""] * width
        if len(row) != width:
            raise BitextError(
                f"expected {width} {kind}-separated fields, found {len(row)}", path=path, line=line
            )
        yield BitextPair(
            src=row[choice.src],
            trg=row[choice.trg],
            line=line,
            src_lang=choice.src_lang,
            trg_lang=choice.trg_lang,
            ref=row[choice.ref] if choice.ref is not None else None,
        )
