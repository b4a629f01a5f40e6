"""Two line-aligned plain-text files (Moses style: ``corpus.en`` + ``corpus.es``)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import zip_longest
from pathlib import Path

from mexma_search.encoder.bitext.core import BitextError, BitextPair, is_language_code
from mexma_search.encoder.bitext.textio import iter_lines, open_binary

_NOT_LANG_SUFFIXES = {".gz", ".txt"}


def language_from_suffix(path: Path) -> str | None:
    """The language a file's suffix declares (``train.en``, ``train.es.txt.gz``), if any."""
    suffixes = [s for s in path.suffixes if s.lower() not in _NOT_LANG_SUFFIXES]
    if suffixes and is_language_code(suffixes[-1][1:]):
        return suffixes[-1][1:]
    return None


def _count_rest(lines: Iterator[tuple[int, str]], counted: int) -> int:
    return counted + sum(1 for _ in lines)


def read_text_pair(
    src_path: Path, trg_path: Path, src_lang: str | None, trg_lang: str | None
) -> Iterator[BitextPair]:
    """Pair line ``n`` of ``src_path`` with line ``n`` of ``trg_path``.

    Languages default to the files' suffixes when those are language codes. Files with
    different line counts raise :class:`BitextError` once the shorter one ends.
    """
    src_lang = src_lang or language_from_suffix(src_path)
    trg_lang = trg_lang or language_from_suffix(trg_path)
    with open_binary(src_path) as src_stream, open_binary(trg_path) as trg_stream:
        src_lines = iter_lines(src_path, src_stream)
        trg_lines = iter_lines(trg_path, trg_stream)
        for number, (src, trg) in enumerate(zip_longest(src_lines, trg_lines), start=1):
            if src is None or trg is None:
                src_count = number - 1 if src is None else _count_rest(src_lines, number)
                trg_count = number - 1 if trg is None else _count_rest(trg_lines, number)
                raise BitextError(
                    f"line counts differ: {src_path} has {src_count} lines, "
                    f"{trg_path} has {trg_count} lines",
                    path=src_path,
                    line=number,
                )
            yield BitextPair(
                src=src[1].removesuffix("\n").removesuffix("\r"),
                trg=trg[1].removesuffix("\n").removesuffix("\r"),
                line=number,
                src_lang=src_lang,
                trg_lang=trg_lang,
            )
