"""Opening bitext files and decoding them line by line with precise error locations."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from mexma_search.encoder.bitext.core import BitextError


def check_readable(path: Path) -> None:
    """Raise :class:`BitextError` if ``path`` is missing or not a regular file."""
    if not path.exists():
        raise BitextError("file not found", path=path)
    if not path.is_file():
        raise BitextError("not a regular file", path=path)


def open_binary(path: Path) -> BinaryIO:
    """Open a file for binary reading; ``.gz`` files are decompressed on the fly."""
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def iter_lines(path: Path, stream: BinaryIO) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` with the line ending kept, decoding UTF-8 line by line.

    A UTF-8 byte-order mark at the start is dropped. Invalid UTF-8 raises :class:`BitextError`
    naming the line and the byte offset within the line and within the file.
    """
    offset = 0
    number = 0
    try:
        for number, raw in enumerate(stream, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad = raw[exc.start : exc.end]
                raise BitextError(
                    f"invalid UTF-8 byte(s) {bad!r} at byte {exc.start} of the line "
                    f"(byte {offset + exc.start} of the file); the file must be UTF-8",
                    path=path,
                    line=number,
                ) from None
            if number == 1 and text.startswith("\ufeff"):
                text = text[1:]
            offset += len(raw)
            yield number, text
    except (OSError, EOFError) as exc:
        raise BitextError(f"cannot read the file: {exc}", path=path, line=number + 1) from exc
