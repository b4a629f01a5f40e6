"""What a bitext file offers to choose from (its header's columns, JSONL keys or TMX
languages) and what a read with given options takes from it, without reading the pairs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mexma_search.encoder.bitext.columns import Selection, resolve
from mexma_search.encoder.bitext.core import BitextError
from mexma_search.encoder.bitext.delimited import first_row
from mexma_search.encoder.bitext.jsonl import choose_keys, first_object
from mexma_search.encoder.bitext.readers import Format, detect_format
from mexma_search.encoder.bitext.textio import check_readable
from mexma_search.encoder.bitext.tmx import choose_languages, tmx_language_counts


@dataclass(frozen=True)
class BitextFields:
    """What a file offers: ``names`` are its header's columns (TSV/CSV, ``header``), the keys
    of its first object (JSONL), its ``<tuv>`` languages, most frequent first (TMX), with
    ``counts`` per name for TMX; ``width`` is how many fields a TSV/CSV row has."""

    format: Format
    names: tuple[str, ...]
    header: bool
    width: int = 0
    counts: tuple[int, ...] = ()


@dataclass(frozen=True)
class BitextLayout:
    """What a read takes: the fields the file offers, and the source, target and ref chosen
    (a name, or ``#n`` for a column of a file without a header row) with their languages."""

    fields: BitextFields
    source: str
    target: str
    ref: str | None
    src_lang: str | None
    trg_lang: str | None


def bitext_fields(
    path: Path, fmt: Format | None = None, header: bool | None = None
) -> BitextFields:
    """The columns, keys or languages of a TSV, CSV, JSONL or TMX file (text pairs: none);
    :class:`BitextError` for a missing or unreadable file."""
    check_readable(path)
    kind = fmt or detect_format(path)
    if kind in ("tsv", "csv"):
        row, has_header = first_row(path, "\t" if kind == "tsv" else ",", header)
        return BitextFields(kind, tuple(row) if has_header else (), has_header, len(row))
    if kind == "jsonl":
        first = first_object(path)
        return BitextFields(kind, tuple(first[1]) if first else (), True, 0)
    if kind == "tmx":
        counts = tmx_language_counts(path).most_common()
        return BitextFields(
            kind, tuple(lang for lang, _ in counts), True, 0, tuple(n for _, n in counts)
        )
    return BitextFields(kind, (), False)


def bitext_layout(path: str | Path, **read_options: Any) -> BitextLayout:
    """What :func:`~mexma_search.encoder.bitext.read_bitext` with these ``read_options``
    (its keyword arguments) takes from the file; :class:`BitextError` when it could not
    choose."""
    path = Path(path)
    options = dict(read_options)
    second_path = options.pop("second_path", None)
    header: bool | None = options.pop("header", None)
    kind = options.pop("fmt", None) or detect_format(
        path, Path(second_path) if second_path is not None else None
    )
    selection = Selection(**options)
    if kind == "text":
        name = Path(second_path).name if second_path is not None else "?"
        fields = BitextFields(kind, (), False)
        return BitextLayout(fields, path.name, name, None, selection.src_lang, selection.trg_lang)
    if selection.names_columns() and kind in ("tsv", "csv"):
        header = True
    fields = bitext_fields(path, kind, header)
    if kind == "tmx":
        primary = selection.match_primary
        src, trg = choose_languages(
            path,
            tmx_language_counts(path, primary=primary),
            selection.src_lang,
            selection.trg_lang,
            primary,
        )
        return BitextLayout(fields, src, trg, None, src, trg)
    if kind == "jsonl":
        first = first_object(path)
        if first is None:
            raise BitextError("the file holds no JSON object", path=path)
        choice = choose_keys(path, selection, *first)
    else:
        names = list(fields.names) if fields.header else None
        choice = resolve(selection, names, fields.width, path)

    def named(index: int) -> str:
        return fields.names[index] if fields.names else f"#{index}"

    return BitextLayout(
        fields,
        named(choice.src),
        named(choice.trg),
        None if choice.ref is None else named(choice.ref),
        choice.src_lang,
        choice.trg_lang,
    )
