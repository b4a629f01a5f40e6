"""Validation of bitext before training: a streaming filter that fills a report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from mexma_search.encoder.bitext.core import BitextPair
from mexma_search.encoder.bitext.hashing import KeySet, pair_key
from mexma_search.encoder.bitext.langcheck import LanguageChecker


class DropReason(StrEnum):
    """Why a pair is not used for training; checks run in this order, the first one wins."""

    EMPTY = "empty_side"
    TOO_LONG = "too_long"
    IDENTICAL = "identical_sides"
    LENGTH_RATIO = "length_ratio"
    DUPLICATE = "duplicate"
    LANGUAGE = "language_mismatch"


@dataclass(frozen=True)
class FilterOptions:
    """Thresholds of the filter.

    ``max_chars``: longest side allowed (MEXMA trains on at most 200 tokens, about 1000
    characters). ``max_length_ratio``: longer side / shorter side, checked when the longer
    side has at least ``ratio_min_chars`` characters, or ``ratio_min_tokens`` tokens where the
    filter counts tokens (its ``count_tokens``); in characters, raise it for pairs of scripts
    of very different density (Chinese or Japanese with a Latin-script language). Language
    check: see :mod:`mexma_search.encoder.bitext.langcheck`; it runs only on sides with a declared
    language. ``examples``: how many line numbers are kept per drop reason.
    """

    max_chars: int = 1000
    max_length_ratio: float = 3.0
    ratio_min_chars: int = 20
    ratio_min_tokens: int = 6
    drop_duplicates: bool = True
    detect_language: bool = True
    langid_min_chars: int = 20
    langid_max_chars: int = 200
    langid_min_confidence: float = 0.9
    examples: int = 5


@dataclass
class ValidationReport:
    """Counts of pairs read, kept and dropped by reason, with the first lines of each reason."""

    options: FilterOptions = field(default_factory=FilterOptions)
    length_unit: str = "characters"
    pairs_read: int = 0
    pairs_kept: int = 0
    dropped: dict[DropReason, int] = field(default_factory=lambda: dict.fromkeys(DropReason, 0))
    first_lines: dict[DropReason, list[int]] = field(
        default_factory=lambda: {reason: [] for reason in DropReason}
    )
    sides_language_checked: int = 0
    # "src:fr" -> how many source sides declared otherwise were detected as French.
    detected_instead: Counter[str] = field(default_factory=Counter)

    @property
    def pairs_dropped(self) -> int:
        """All pairs dropped, whatever the reason."""
        return sum(self.dropped.values())

    def record_drop(self, reason: DropReason, line: int) -> None:
        """Count one dropped pair and remember its line if among the first few."""
        self.dropped[reason] += 1
        if len(self.first_lines[reason]) < self.options.examples:
            self.first_lines[reason].append(line)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view of the report."""
        return {
            "pairs_read": self.pairs_read,
            "pairs_kept": self.pairs_kept,
            "pairs_dropped": self.pairs_dropped,
            "dropped": {str(r): n for r, n in self.dropped.items()},
            "first_lines": {str(r): list(lines) for r, lines in self.first_lines.items()},
            "sides_language_checked": self.sides_language_checked,
            "detected_instead": dict(self.detected_instead.most_common()),
            "length_unit": self.length_unit,
            "options": asdict(self.options),
        }


_LABELS = {
    DropReason.EMPTY: "empty side",
    DropReason.TOO_LONG: "too long",
    DropReason.IDENTICAL: "identical sides",
    DropReason.LENGTH_RATIO: "length-ratio outlier",
    DropReason.DUPLICATE: "duplicate pair",
    DropReason.LANGUAGE: "language mismatch",
}


def drop_lines(report: ValidationReport) -> list[str]:
    """One indented line per drop reason that occurred: its count and first line numbers."""
    lines = []
    for reason in DropReason:
        count = report.dropped[reason]
        if count:
            where = ", ".join(map(str, report.first_lines[reason]))
            more = ", ..." if count > len(report.first_lines[reason]) else ""
            label = _LABELS[reason]
            if reason is DropReason.LENGTH_RATIO:
                label += f" (> {report.options.max_length_ratio:g}x in {report.length_unit})"
            lines.append(f"  {label}: {count} (lines {where}{more})")
    return lines


def format_report(report: ValidationReport) -> str:
    """A human-readable summary of a validation report."""
    options = report.options
    percent = 100 * report.pairs_kept / report.pairs_read if report.pairs_read else 0.0
    lines = [
        f"pairs read: {report.pairs_read}",
        f"pairs kept: {report.pairs_kept} ({percent:.1f} %)",
        f"pairs dropped: {report.pairs_dropped}",
    ]
    lines.extend(drop_lines(report))
    if not options.detect_language:
        lines.append("language check: off")
    elif report.sides_language_checked == 0:
        lines.append("language check: nothing checked (no declared language, or texts too short)")
    else:
        lines.append(
            f"language check: {report.sides_language_checked} sides checked "
            f"(>= {options.langid_min_chars} characters)"
        )
        for what, n in report.detected_instead.most_common(10):
            side, lang = what.split(":", 1)
            lines.append(f"  {side} detected as {lang}: {n}")
    return "\n".join(lines)


class BitextFilter:
    """A streaming filter: :meth:`filter` yields the pairs kept and fills :attr:`report`.

    Use one filter per pass over the data (duplicates are remembered across calls).
    Duplicates are found with 64-bit hashes of the pair kept in a :class:`KeySet`: about
    20 bytes per distinct kept pair; a hash collision (odds about 3e-6 at ten million
    pairs) would drop one pair. With ``count_tokens`` (a model's tokenizer), length ratios
    are measured in tokens, else in characters.
    """

    def __init__(
        self,
        options: FilterOptions | None = None,
        *,
        count_tokens: Callable[[str], int] | None = None,
        **overrides: Any,
    ) -> None:
        self.options = replace(options or FilterOptions(), **overrides)
        self._count_tokens = count_tokens
        unit = "characters" if count_tokens is None else "tokens"
        self.report = ValidationReport(options=self.options, length_unit=unit)
        self._seen = KeySet()
        self._langid = LanguageChecker(
            min_chars=self.options.langid_min_chars,
            max_chars=self.options.langid_max_chars,
            min_confidence=self.options.langid_min_confidence,
        )

    def filter(self, pairs: Iterable[BitextPair]) -> Iterator[BitextPair]:
        """Yield the pairs that pass every check, counting the others in the report."""
        report = self.report
        for pair in pairs:
            report.pairs_read += 1
            reason = self.drop_reason(pair)
            if reason is None:
                report.pairs_kept += 1
                yield pair
            else:
                report.record_drop(reason, pair.line)

    def drop_reason(self, pair: BitextPair) -> DropReason | None:
        """The first check the pair fails, or None; a kept pair is remembered for duplicates.

        Sides are compared with surrounding whitespace trimmed.
        """
        src, trg = pair.src.strip(), pair.trg.strip()
        if not src or not trg:
            return DropReason.EMPTY
        if max(len(src), len(trg)) > self.options.max_chars:
            return DropReason.TOO_LONG
        if src == trg:
            return DropReason.IDENTICAL
        if self._ratio_outlier(src, trg):
            return DropReason.LENGTH_RATIO
        key = pair_key(src, trg)
        if self.options.drop_duplicates and key in self._seen:
            return DropReason.DUPLICATE
        if self.options.detect_language and self._language_mismatch(pair, src, trg):
            return DropReason.LANGUAGE
        if self.options.drop_duplicates:
            self._seen.add(key)
        return None

    def _ratio_outlier(self, src: str, trg: str) -> bool:
        if self._count_tokens is None:
            lengths, floor = (len(src), len(trg)), self.options.ratio_min_chars
        else:
            lengths = (self._count_tokens(src), self._count_tokens(trg))
            floor = self.options.ratio_min_tokens
        longer, shorter = max(lengths), min(lengths)
        if longer < floor:
            return False
        return longer > self.options.max_length_ratio * shorter

    def _language_mismatch(self, pair: BitextPair, src: str, trg: str) -> bool:
        mismatch = False
        for side, text, declared in (("src", src, pair.src_lang), ("trg", trg, pair.trg_lang)):
            if not self._langid.checkable(text, declared):
                continue
            self.report.sides_language_checked += 1
            detected = self._langid.mismatch(text, declared)
            if detected is not None:
                self.report.detected_instead[f"{side}:{detected}"] += 1
                mismatch = True
        return mismatch


def validate_bitext(
    pairs: Iterable[BitextPair],
    options: FilterOptions | None = None,
    *,
    count_tokens: Callable[[str], int] | None = None,
    **overrides: Any,
) -> ValidationReport:
    """Run the filter over all pairs (streaming) and return its report.

    Keyword ``overrides`` set :class:`FilterOptions` fields, e.g. ``max_chars=500``;
    ``count_tokens`` measures length ratios in tokens (see :class:`BitextFilter`).
    """
    bitext_filter = BitextFilter(options, count_tokens=count_tokens, **overrides)
    for _ in bitext_filter.filter(pairs):
        pass
    return bitext_filter.report


def screen_pairs(
    pairs: Iterable[BitextPair],
    options: FilterOptions | None = None,
    *,
    apply: bool = False,
    count_tokens: Callable[[str], int] | None = None,
) -> tuple[list[BitextPair], ValidationReport]:
    """Run the filter over ``pairs`` for its report; return every pair, or with ``apply``
    only the pairs it keeps, and the report."""
    everything = list(pairs)
    bitext_filter = BitextFilter(options, count_tokens=count_tokens)
    kept = list(bitext_filter.filter(everything))
    return (kept if apply else everything), bitext_filter.report
