"""What a bitext validation read: the columns it took and the languages of the pairs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from mexma_search.encoder.bitext.core import BitextPair

UNKNOWN = "?"


class LanguageTally:
    """Counts the declared language pair of each pair that streams through :meth:`count`."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()

    def count(self, pairs: Iterable[BitextPair]) -> Iterator[BitextPair]:
        """``pairs``, unchanged, counted on the way."""
        for pair in pairs:
            self.counts[(pair.src_lang or UNKNOWN, pair.trg_lang or UNKNOWN)] += 1
            yield pair

    def summary(self) -> str:
        """E.g. ``languages: en → es (60 pairs)``; ``?`` where neither the file nor the form
        named a language."""
        if not self.counts:
            return "languages: no pairs read"
        shown = ", ".join(
            f"{src} → {trg} ({n} pairs)" for (src, trg), n in self.counts.most_common(5)
        )
        return f"languages: {shown}"


def columns_summary(read_options: Mapping[str, Any]) -> str:
    """Which columns (TSV/CSV) or variants (TMX) were read."""
    src, trg = read_options.get("src_column"), read_options.get("trg_column")
    if src is not None or trg is not None:
        return f"columns: source {_column(src)}, target {_column(trg)}"
    langs = read_options.get("src_lang"), read_options.get("trg_lang")
    if any(langs):
        return "columns / TMX variants: those named " + " and ".join(lang for lang in langs if lang)
    return (
        "columns: the file's language-named columns (else the first two); "
        "TMX: its first two variants"
    )


def _column(column: object) -> str:
    if column is None:
        return "by language"
    return f"#{column} (from 0)" if isinstance(column, int) else repr(column)
