"""What a bitext validation read: the columns it took and the languages of the pairs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from mexma_search.encoder.bitext.core import BitextPair
from mexma_search.encoder.bitext.layout import BitextLayout

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


def layout_summary(layout: BitextLayout) -> str:
    """Which columns, keys or TMX variants a read took, among those the file offers, e.g.
    ``columns: en (source), es (target), ref (pair id) of ref, en, es``."""
    fields = layout.fields
    chosen = [f"{layout.source} (source)", f"{layout.target} (target)"]
    if layout.ref is not None:
        chosen.append(f"{layout.ref} (pair id)")
    taken = ", ".join(chosen)
    if fields.format == "text":
        return f"files: {taken}, line by line"
    if fields.format == "tmx":
        counts = zip(fields.names, fields.counts, strict=True)
        offered = ", ".join(f"{lang} ({n})" for lang, n in counts)
        return f"TMX variants: {taken} of {offered or 'none'}"
    if fields.format == "jsonl":
        return f"keys: {taken} of {', '.join(fields.names)}"
    if not fields.header:
        return f"columns: {taken} of {fields.width} (no header row; numbered from 0)"
    return f"columns: {taken} of {', '.join(fields.names)}"
