"""JSON Lines bitext reader (streaming)."""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from itertools import chain
from pathlib import Path
from typing import Any

from mexma_search.encoder.bitext.columns import Choice, Selection, resolve
from mexma_search.encoder.bitext.core import BitextError, BitextPair
from mexma_search.encoder.bitext.textio import iter_lines, open_binary


def _objects(path: Path) -> Generator[tuple[int, dict[str, Any]]]:
    with open_binary(path) as stream:
        for number, text in iter_lines(path, stream):
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                raise BitextError(
                    f"invalid JSON at column {exc.colno}: {exc.msg}", path=path, line=number
                ) from None
            if not isinstance(obj, dict):
                raise BitextError(
                    f"expected a JSON object, found {type(obj).__name__}", path=path, line=number
                )
            yield number, obj


def choose_keys(path: Path, selection: Selection, line: int, first: dict[str, Any]) -> Choice:
    columns = (selection.src_column, selection.trg_column, selection.ref_column)
    if any(isinstance(c, int) for c in columns):
        raise BitextError("JSONL fields are chosen by key name, not by index", path=path)
    keys = list(first)
    strings = [i for i, key in enumerate(keys) if isinstance(first[key], str)]
    return resolve(selection, keys, len(keys), path, text_columns=strings, line=line)


def first_object(path: Path) -> tuple[int, dict[str, Any]] | None:
    """The line and the first JSON object of the file (None: it holds none)."""
    objects = _objects(path)
    try:
        return next(objects, None)
    finally:
        objects.close()


def _value(path: Path, line: int, obj: dict[str, Any], key: str) -> str:
    if key not in obj:
        raise BitextError(
            f"key {key!r} is missing; keys present: {', '.join(obj)}", path=path, line=line
        )
    value = obj[key]
    if not isinstance(value, str):
        raise BitextError(
            f"value of {key!r} is {type(value).__name__}, expected a string", path=path, line=line
        )
    return value


def read_jsonl(path: Path, selection: Selection) -> Iterator[BitextPair]:
    """Read one JSON object per line; blank lines are skipped.

    Keys default to ``src``/``trg`` (or ``source``/``target``), else two language-code keys,
    else the only two string-valued keys of the first object (besides ``ref``/``id``).
    """
    objects = _objects(path)
    first = next(objects, None)
    if first is None:
        return
    keys = list(first[1])
    choice = choose_keys(path, selection, *first)
    src_key, trg_key = keys[choice.src], keys[choice.trg]
    ref_key = keys[choice.ref] if choice.ref is not None else None
    for line, obj in chain([first], objects):
        ref = obj.get(ref_key) if ref_key is not None else None
        yield BitextPair(
            src=_value(path, line, obj, src_key),
            trg=_value(path, line, obj, trg_key),
            line=line,
            src_lang=choice.src_lang,
            trg_lang=choice.trg_lang,
            ref=None if ref is None else str(ref),
        )
