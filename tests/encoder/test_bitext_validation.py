"""Bitext validation (drop reasons, report) and held-out splits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import count, islice
from pathlib import Path

import pytest

from mexma_search.encoder.bitext import (
    BitextError,
    BitextFilter,
    BitextPair,
    DropReason,
    format_report,
    read_bitext,
    read_splits,
    screen_pairs,
    select_by_ref,
    split_held_out,
    validate_bitext,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bitext"
ENGLISH = "The committee will publish its final report next spring."
SPANISH = "El comité publicará su informe final la próxima primavera."
ROWS = [
    (ENGLISH, SPANISH),  # line 2: kept
    ("Good evening to all of you.", "  "),  # 3: empty side
    ("Bunni, Azgad, Bebai,", "Bunni, Azgad, Bebai,"),  # 4: identical
    ("A" * 120 + ".", "B" * 119 + "."),  # 5: too long (max_chars=100)
    ("This sentence is far too long for its translation.", "Sí."),  # 6: length ratio
    (ENGLISH, SPANISH),  # 7: duplicate of line 2
    ("The weather was lovely and we walked along the beach.", ENGLISH),  # 8: language
    ("Thank you.", "Gracias."),  # 9: kept (too short for the language check)
]


@pytest.fixture
def noisy_tsv(tmp_path: Path) -> Path:
    path = tmp_path / "noisy.tsv"
    lines = ["en\tes"] + [f"{src}\t{trg}" for src, trg in ROWS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_each_drop_reason_with_its_line(noisy_tsv: Path) -> None:
    report = validate_bitext(read_bitext(noisy_tsv), max_chars=100)
    assert (report.pairs_read, report.pairs_kept, report.pairs_dropped) == (8, 2, 6)
    assert report.first_lines == {
        DropReason.EMPTY: [3],
        DropReason.IDENTICAL: [4],
        DropReason.TOO_LONG: [5],
        DropReason.LENGTH_RATIO: [6],
        DropReason.DUPLICATE: [7],
        DropReason.LANGUAGE: [8],
    }
    assert report.detected_instead == {"trg:en": 1}
    # Only pairs that pass the cheaper checks are classified: lines 2 and 8 (line 9 is short).
    assert report.sides_language_checked == 4


def test_language_check_needs_declared_languages(noisy_tsv: Path) -> None:
    headerless = read_bitext(noisy_tsv, header=False)
    report = validate_bitext(islice(headerless, 1, None), max_chars=100)
    assert report.dropped[DropReason.LANGUAGE] == 0
    assert report.sides_language_checked == 0
    assert "language check: nothing checked" in format_report(report)
    off = validate_bitext(read_bitext(noisy_tsv), max_chars=100, detect_language=False)
    assert (off.dropped[DropReason.LANGUAGE], off.pairs_kept) == (0, 3)
    assert "language check: off" in format_report(off)


def test_filter_yields_kept_pairs_lazily() -> None:
    def endless() -> Iterator[BitextPair]:
        for i in count(1):
            yield BitextPair(f"Sentence {i // 2}.", f"Frase {i // 2}.", line=i)

    bitext_filter = BitextFilter(detect_language=False)
    kept = list(islice(bitext_filter.filter(endless()), 3))
    assert [p.line for p in kept] == [1, 2, 4]
    assert bitext_filter.report.first_lines[DropReason.DUPLICATE] == [3]


def test_report_keeps_only_the_first_lines_and_serialises() -> None:
    pairs = [BitextPair("", "x", line=n) for n in range(10, 17)]
    report = validate_bitext(pairs, examples=3)
    assert report.dropped[DropReason.EMPTY] == 7
    assert report.first_lines[DropReason.EMPTY] == [10, 11, 12]
    assert "empty side: 7 (lines 10, 11, 12, ...)" in format_report(report)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["dropped"]["empty_side"] == 7
    assert data["first_lines"]["duplicate"] == []
    assert data["options"]["examples"] == 3


def test_format_report_lists_every_reason(noisy_tsv: Path) -> None:
    text = format_report(validate_bitext(read_bitext(noisy_tsv), max_chars=100))
    assert text.splitlines()[:3] == ["pairs read: 8", "pairs kept: 2 (25.0 %)", "pairs dropped: 6"]
    for expected in (
        "empty side: 1 (lines 3)",
        "identical sides: 1 (lines 4)",
        "too long: 1 (lines 5)",
        "length-ratio outlier (> 3x in characters): 1 (lines 6)",
        "duplicate pair: 1 (lines 7)",
        "language mismatch: 1 (lines 8)",
        "trg detected as en: 1",
    ):
        assert expected in text


def _cjk_or_word_tokens(text: str) -> int:
    """A stand-in tokenizer: one token per CJK character or per word."""
    return sum(1 for c in text if "\u4e00" <= c <= "\u9fff") + len(
        [w for w in text.split() if not any("\u4e00" <= c <= "\u9fff" for c in w)]
    )


def test_length_ratio_in_tokens_spares_dense_scripts() -> None:
    chinese = BitextPair(
        "The committee will publish its final report next spring.",
        "委员会明年春天发布最终报告",  # 13 characters, a ratio of 4.4 in characters
        line=2,
    )
    lopsided = BitextPair("One two three four five six seven eight nine ten.", "Uno dos.", line=3)
    by_chars = validate_bitext([chinese, lopsided], detect_language=False)
    assert by_chars.first_lines[DropReason.LENGTH_RATIO] == [2, 3]
    by_tokens = validate_bitext(
        [chinese, lopsided], detect_language=False, count_tokens=_cjk_or_word_tokens
    )
    assert by_tokens.first_lines[DropReason.LENGTH_RATIO] == [3]
    assert by_tokens.to_dict()["length_unit"] == "tokens"
    assert "length-ratio outlier (> 3x in tokens): 1 (lines 3)" in format_report(by_tokens)


def test_screen_pairs_keeps_everything_unless_applied(noisy_tsv: Path) -> None:
    pairs = list(read_bitext(noisy_tsv))
    everything, report = screen_pairs(pairs)
    assert everything == pairs
    assert (report.pairs_read, report.pairs_dropped) == (8, 5)
    kept, applied = screen_pairs(pairs, apply=True)
    assert [p.line for p in kept] == [2, 5, 9]  # 120 characters is not too long by default
    assert applied.to_dict() == report.to_dict()


def test_unknown_option_is_rejected() -> None:
    with pytest.raises(TypeError):
        validate_bitext([], max_char=5)


def _numbered(n: int) -> list[BitextPair]:
    return [BitextPair(f"Sentence {i}.", f"Frase {i}.", line=i + 1) for i in range(n)]


def test_split_held_out_is_deterministic_and_order_independent() -> None:
    pairs = _numbered(500)
    split = split_held_out(pairs, held_out=50, seed=3)
    held = {(p.src, p.trg) for p in split.held_out}
    train = list(split.train(pairs))
    assert len(held) == 50 and len(train) == 450
    assert held.isdisjoint((p.src, p.trg) for p in train)
    assert [p.line for p in split.held_out] == sorted(p.line for p in split.held_out)
    again = split_held_out(reversed(pairs), held_out=50, seed=3)
    assert {(p.src, p.trg) for p in again.held_out} == held
    other = split_held_out(pairs, held_out=50, seed=4)
    assert {(p.src, p.trg) for p in other.held_out} != held


def test_split_held_out_keeps_duplicates_on_one_side() -> None:
    pairs = _numbered(100)
    doubled = pairs + pairs
    split = split_held_out(doubled, held_out=10, seed=0)
    assert len(split.held_out) == 10
    train = list(split.train(doubled))
    assert len(train) == 180
    assert all(split.is_held_out(p) for p in split.held_out)
    with pytest.raises(ValueError, match="only 100 distinct pairs"):
        split_held_out(doubled, held_out=100)


def test_fixed_splits_select_pairs_by_ref() -> None:
    splits = read_splits(FIXTURES / "sample.splits.json")
    assert (splits.seed, splits.test, splits.dev) == (1, {"r5"}, {"r4"})
    test = list(splits.select(read_bitext(FIXTURES / "sample.tsv"), "test"))
    assert [(p.ref, p.src) for p in test] == [("r5", "I don't know.")]
    train = select_by_ref(read_bitext(FIXTURES / "sample.jsonl"), splits.refs("train"))
    assert [p.ref for p in train] == ["r1", "r2", "r3"]
    with pytest.raises(ValueError, match="unknown split 'valid'"):
        splits.refs("valid")


def test_select_by_ref_needs_refs() -> None:
    pairs = read_bitext(FIXTURES / "sample.en", second_path=FIXTURES / "sample.es")
    with pytest.raises(BitextError, match="line 1: pair has no ref"):
        list(select_by_ref(pairs, {"r1"}))
