"""TMX 1.4 bitext reader: incremental expat parsing, memory bounded by one chunk."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from mexma_search.encoder.bitext.core import (
    BitextError,
    BitextPair,
    lang_matches,
    normalize_lang,
    primary_subtag,
)
from mexma_search.encoder.bitext.textio import open_binary
from mexma_search.encoder.bitext.tmx_units import TmxError, TranslationUnit, iter_units


def _variant_texts(path: Path, unit: TranslationUnit) -> Iterator[tuple[str, str | None]]:
    """``(language, first segment)`` of each ``<tuv>``; one without a language is an error."""
    for variant in unit.variants:
        if variant.lang is None:
            raise BitextError("<tuv> has no xml:lang attribute", path=path, line=variant.line)
        yield variant.lang, variant.segments[0] if variant.segments else None


def read_units(path: Path) -> Iterator[TranslationUnit]:
    """The file's translation units, as :class:`BitextError` reports its problems."""
    try:
        with open_binary(path) as stream:
            yield from iter_units(stream)
    except TmxError as exc:
        raise BitextError(str(exc), path=path, line=exc.line) from None
    except (OSError, EOFError) as exc:
        raise BitextError(f"cannot read the file: {exc}", path=path) from exc


def _language_key(lang: str, primary: bool) -> str:
    """How a language is counted: the normalised tag, or its primary subtag."""
    return primary_subtag(lang) if primary else normalize_lang(lang)


def tmx_language_counts(path: Path, *, primary: bool = False) -> Counter[str]:
    """Count ``<tuv>`` elements per language (normalised tags, or primary subtags) in one pass."""
    return Counter(
        _language_key(lang, primary)
        for unit in read_units(path)
        for lang, _ in _variant_texts(path, unit)
    )


def _listing(counts: Counter[str]) -> str:
    return ", ".join(f"{lang} ({n})" for lang, n in counts.most_common()) or "none"


def choose_languages(
    path: Path, counts: Counter[str], src: str | None, trg: str | None, primary: bool
) -> tuple[str, str]:
    """Fill in missing languages with the most frequent ones (ties: first seen in the file)."""
    chosen = [src, trg]
    for i, lang in enumerate(chosen):
        if lang is not None:
            continue
        other = chosen[1 - i]
        for candidate, _ in counts.most_common():
            if other is None or not lang_matches(candidate, other, primary=primary):
                chosen[i] = candidate
                break
        else:
            raise BitextError(
                f"needs two languages but found: {_listing(counts)}; set src_lang and trg_lang",
                path=path,
            )
    first, second = chosen
    assert first is not None and second is not None
    if lang_matches(first, second, primary=primary):
        raise BitextError(f"source and target language are both {first!r}", path=path)
    return first, second


def read_tmx(
    path: Path, src_lang: str | None, trg_lang: str | None, *, primary: bool = False
) -> Iterator[BitextPair]:
    """Yield the pairs of a TMX file; each ``<tu>`` gives one pair, at the line of its ``<tu>``.

    Languages not given default to the two most frequent ``<tuv>`` languages, which costs a
    first streaming pass. A ``<tu>`` with only one of the two languages gives a pair with an
    empty side (so validation reports it); one with neither is skipped.
    """
    if src_lang is None or trg_lang is None:
        src_lang, trg_lang = choose_languages(
            path, tmx_language_counts(path, primary=primary), src_lang, trg_lang, primary
        )
    counts: Counter[str] = Counter()
    pairs_found = 0
    for unit in read_units(path):
        segments: dict[str, str | None] = {}
        for lang, text in _variant_texts(path, unit):
            counts[_language_key(lang, primary)] += 1
            if text is not None:
                segments.setdefault(lang, text)
        src = _segment(segments, src_lang, primary)
        trg = _segment(segments, trg_lang, primary)
        if src is None and trg is None:
            continue  # a unit in other languages only (multilingual TMX)
        pairs_found += 1
        yield BitextPair(
            src=src or "",
            trg=trg or "",
            line=unit.line,
            src_lang=src_lang,
            trg_lang=trg_lang,
            ref=unit.tuid,
        )
    if pairs_found == 0 and counts:
        raise BitextError(
            f"no <tu> has a {src_lang!r} or {trg_lang!r} variant; "
            f"languages in the file: {_listing(counts)}",
            path=path,
        )


def _segment(segments: dict[str, str | None], lang: str, primary: bool) -> str | None:
    for tuv_lang, text in segments.items():
        if lang_matches(tuv_lang, lang, primary=primary):
            return text
    return None
