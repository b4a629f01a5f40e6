"""One entry point for every bitext format; every reader is a lazy generator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from mexma_search.encoder.bitext.columns import Column, Selection
from mexma_search.encoder.bitext.core import BitextError, BitextPair
from mexma_search.encoder.bitext.delimited import read_delimited
from mexma_search.encoder.bitext.jsonl import read_jsonl
from mexma_search.encoder.bitext.plaintext import read_text_pair
from mexma_search.encoder.bitext.textio import check_readable
from mexma_search.encoder.bitext.tmx import read_tmx

Format = Literal["tsv", "csv", "jsonl", "tmx", "text"]
FORMATS: tuple[str, ...] = ("tsv", "csv", "jsonl", "tmx", "text")
_BY_SUFFIX = {
    ".tsv": "tsv",
    ".tab": "tsv",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".tmx": "tmx",
}


def detect_format(path: Path, second_path: Path | None = None) -> Format:
    """The format implied by the file name (``.gz`` ignored), or ``text`` for two files."""
    if second_path is not None:
        return "text"
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    found = _BY_SUFFIX.get(suffixes[-1]) if suffixes else None
    if found is None:
        raise BitextError(
            "cannot tell the bitext format from the file name; use a .tsv, .csv, .jsonl or "
            ".tmx name, pass fmt=, or give a second_path for two line-aligned text files",
            path=path,
        )
    return found  # type: ignore[return-value]


def read_bitext(
    path: str | Path,
    *,
    src_column: Column | None = None,
    trg_column: Column | None = None,
    ref_column: Column | None = None,
    src_lang: str | None = None,
    trg_lang: str | None = None,
    second_path: str | Path | None = None,
    fmt: Format | None = None,
    header: bool | None = None,
    match_primary: bool = False,
) -> Iterator[BitextPair]:
    """Stream the pairs of a bitext file (TSV, CSV, JSONL, TMX, or two aligned text files).

    Columns/keys are chosen by name (str) or 0-based index (int; TSV/CSV only); languages
    given here override those declared by the file, and pick TSV/CSV/JSONL columns or TMX
    variants whose name/``xml:lang`` matches (case-insensitively; by primary subtag only
    when ``match_primary``). ``header`` forces or forbids a TSV/CSV header row (default:
    detected). The file is checked for existence now; format problems are raised as
    :class:`BitextError` while iterating.
    """
    path = Path(path)
    second = Path(second_path) if second_path is not None else None
    kind = fmt or detect_format(path, second)
    if kind not in FORMATS:
        raise BitextError(f"unknown format {kind!r}; choose one of {', '.join(FORMATS)}")
    check_readable(path)
    selection = Selection(src_column, trg_column, ref_column, src_lang, trg_lang, match_primary)
    if kind in ("tmx", "text") and any(c is not None for c in (src_column, trg_column, ref_column)):
        raise BitextError(f"{kind} files have no columns; choose languages with src_lang/trg_lang")
    if kind == "text":
        if second is None:
            raise BitextError("two-file text bitext needs second_path (the target file)", path=path)
        check_readable(second)
        return read_text_pair(path, second, src_lang, trg_lang)
    if kind == "tmx":
        return read_tmx(path, src_lang, trg_lang, primary=match_primary)
    if kind == "jsonl":
        return read_jsonl(path, selection)
    return read_delimited(path, selection, delimiter="\t" if kind == "tsv" else ",", header=header)
