"""The translation pairs of a TMX file as a translation memory holds them: each unit's first
variant (its source, by TMX convention) paired with every variant in another language, so a
multilingual memory gives one pair per target language."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from mexma_search.documents.langid import normalize_language
from mexma_search.encoder.bitext.tmx import read_units
from mexma_search.store.translation_memory import NewSegment


def tmx_pairs(path: Path) -> Iterator[NewSegment]:
    """Each unit's source paired with its other languages (variants without a language or
    text are left out); BitextError names the file and line of broken XML."""
    for unit in read_units(path):
        variants = [
            (normalize_language(v.lang), v.segments[0].strip())
            for v in unit.variants
            if v.lang and v.segments and v.segments[0].strip()
        ]
        if len(variants) < 2:
            continue
        (src_lang, src), *others = variants
        for trg_lang, trg in others:
            if trg_lang != src_lang:
                yield NewSegment(src_lang, trg_lang, src, trg, note=unit.tuid)
