"""Choosing the source, target and ref columns (TSV/CSV) or keys (JSONL)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mexma_search.encoder.bitext.core import BitextError, is_language_code, lang_matches

SRC_NAMES = ("src", "source", "src_text", "source_text")
TRG_NAMES = ("trg", "tgt", "target", "trg_text", "tgt_text", "target_text")
# Checked before language codes, so an "id" column is a ref, not Indonesian.
REF_NAMES = ("ref", "id")
# Extra columns a header may name (a mined or aligned pair's score); never source or target.
EXTRA_NAMES = ("score",)
KNOWN_NAMES = frozenset(SRC_NAMES + TRG_NAMES + REF_NAMES + EXTRA_NAMES)

Column = str | int


@dataclass(frozen=True)
class Selection:
    """What the caller asked for: columns/keys by name (str) or 0-based index (int), languages."""

    src_column: Column | None = None
    trg_column: Column | None = None
    ref_column: Column | None = None
    src_lang: str | None = None
    trg_lang: str | None = None
    match_primary: bool = False

    def names_columns(self) -> bool:
        """Whether any column is chosen by name (which implies a header row)."""
        columns = (self.src_column, self.trg_column, self.ref_column)
        return any(isinstance(c, str) for c in columns)


@dataclass(frozen=True)
class Choice:
    """Resolved positions of the columns, and the languages the pairs declare."""

    src: int
    trg: int
    ref: int | None
    src_lang: str | None
    trg_lang: str | None


def looks_like_header(fields: Sequence[str]) -> bool:
    """A first row is a header when its fields are distinct known names or language codes.

    Known names: src/source, trg/tgt/target (and ``*_text``), ref, id, score. Pass ``header=`` to
    the reader for any other header.
    """
    names = [f.strip().lower() for f in fields]
    if not names or len(set(names)) != len(names):
        return False
    return all(n in KNOWN_NAMES or is_language_code(n) for n in names)


def _index_of(
    column: Column, names: Sequence[str] | None, width: int, where: tuple[Path, int], what: str
) -> int:
    path, line = where
    if isinstance(column, int):
        if not -width <= column < width:
            raise BitextError(
                f"{what} column index {column} is out of range: rows have {width} fields",
                path=path,
                line=line,
            )
        return column % width
    if names is None:
        raise BitextError(
            f"{what} column {column!r} is named but the file has no header row",
            path=path,
            line=line,
        )
    lowered = [n.strip().lower() for n in names]
    if column.strip().lower() not in lowered:
        raise BitextError(
            f"{what} column {column!r} is not in the header; available: {', '.join(names)}",
            path=path,
            line=line,
        )
    return lowered.index(column.strip().lower())


def _find(names: Sequence[str], wanted: Sequence[str], exclude: set[int]) -> int | None:
    for i, name in enumerate(names):
        if i not in exclude and name.strip().lower() in wanted:
            return i
    return None


def _find_lang(
    names: Sequence[str], lang: str | None, exclude: set[int], primary: bool
) -> int | None:
    if lang is None:
        return None
    for i, name in enumerate(names):
        if (
            i not in exclude
            and is_language_code(name)
            and lang_matches(name, lang, primary=primary)
        ):
            return i
    return None


def _default_pair(
    names: Sequence[str] | None, candidates: list[int], where: tuple[Path, int]
) -> tuple[int, int]:
    """Default src/trg: src/trg names, else two language columns, else the only two left."""
    if names is not None:
        src = _find(names, SRC_NAMES, set())
        trg = _find(names, TRG_NAMES, set())
        if src is not None and trg is not None:
            return src, trg
        langs = [i for i in candidates if is_language_code(names[i])]
        if len(langs) == 2:
            return langs[0], langs[1]
    if len(candidates) == 2:
        return candidates[0], candidates[1]
    listing = f"available: {', '.join(names)}" if names is not None else f"{len(candidates)} fields"
    raise BitextError(
        f"cannot tell which columns are source and target ({listing}); "
        "choose them with src_column and trg_column",
        path=where[0],
        line=where[1],
    )


def resolve(
    selection: Selection,
    names: Sequence[str] | None,
    width: int,
    path: Path,
    text_columns: Sequence[int] | None = None,
    line: int = 1,
) -> Choice:
    """Resolve the selection against a header (``names``) or, without one, a row ``width``.

    ``text_columns`` restricts default choices (JSONL: keys whose values are strings);
    ``line`` is where errors are reported (the header or first object).
    """
    where = (path, line)
    ref = None
    if selection.ref_column is not None:
        ref = _index_of(selection.ref_column, names, width, where, "ref")
    elif names is not None:
        ref = _find(names, REF_NAMES, set())
    taken = {ref} if ref is not None else set()
    primary = selection.match_primary

    src = trg = None
    if selection.src_column is not None:
        src = _index_of(selection.src_column, names, width, where, "source")
    elif names is not None:
        src = _find_lang(names, selection.src_lang, taken, primary)
    if selection.trg_column is not None:
        trg = _index_of(selection.trg_column, names, width, where, "target")
    elif names is not None:
        trg = _find_lang(
            names, selection.trg_lang, taken if src is None else taken | {src}, primary
        )

    pool = range(width) if text_columns is None else text_columns
    if src is None or trg is None:
        candidates = [i for i in pool if i not in taken and i not in (src, trg)]
        if src is None and trg is None:
            src, trg = _default_pair(names, candidates, where)
        elif len(candidates) == 1:
            src, trg = (candidates[0], trg) if src is None else (src, candidates[0])
        else:
            raise BitextError(
                "only one of src_column/trg_column could be chosen; name the other too",
                path=path,
                line=line,
            )
    if src == trg:
        raise BitextError("source and target are the same column", path=path, line=line)
    assert src is not None and trg is not None  # both chosen above, or an error was raised
    return Choice(
        src=src,
        trg=trg,
        ref=ref,
        src_lang=selection.src_lang or _declared(names, src),
        trg_lang=selection.trg_lang or _declared(names, trg),
    )


def _declared(names: Sequence[str] | None, index: int) -> str | None:
    if names is None or not is_language_code(names[index]):
        return None
    return names[index].strip()
