"""Fuzzing the bitext readers: whatever the file holds, reading it (and validating what was
read) gives pairs or a BitextError, never another exception."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mexma_search.encoder.bitext import BitextError, read_bitext, validate_bitext

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "bitext"
SUFFIXES = [".tsv", ".csv", ".jsonl", ".tmx"]
ENCODINGS = ["utf-8", "utf-16", "cp1252", "latin-1", "shift_jis"]
FUZZ = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def _reads_or_says_why(data: bytes, suffix: str, **options: object) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"pairs{suffix}"
        path.write_bytes(data)
        try:
            pairs = list(read_bitext(path, **options))  # type: ignore[arg-type]
        except BitextError as error:
            assert str(error)
            return
        validate_bitext(pairs)
        assert all(isinstance(p.src, str) and isinstance(p.trg, str) for p in pairs)


@FUZZ
@given(data=st.binary(max_size=2048), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes(data: bytes, suffix: str) -> None:
    _reads_or_says_why(data, suffix)


@FUZZ
@given(suffix=st.sampled_from(SUFFIXES), cut=st.floats(min_value=0.0, max_value=1.0))
def test_truncated_samples(suffix: str, cut: float) -> None:
    data = (SAMPLES / f"sample{suffix}").read_bytes()
    _reads_or_says_why(data[: int(len(data) * cut)], suffix)


@FUZZ
@given(
    suffix=st.sampled_from(SUFFIXES),
    position=st.integers(min_value=0),
    garbage=st.binary(min_size=1, max_size=32),
)
def test_samples_with_bytes_overwritten(suffix: str, position: int, garbage: bytes) -> None:
    data = bytearray((SAMPLES / f"sample{suffix}").read_bytes())
    start = position % len(data)
    data[start : start + len(garbage)] = garbage
    _reads_or_says_why(bytes(data), suffix)


@FUZZ
@given(
    rows=st.lists(st.lists(st.text(max_size=30), min_size=0, max_size=4), max_size=20),
    separator=st.sampled_from(["\t", ",", ";"]),
    encoding=st.sampled_from(ENCODINGS),
    suffix=st.sampled_from([".tsv", ".csv"]),
)
def test_delimited_rows_of_any_text(
    rows: list[list[str]], separator: str, encoding: str, suffix: str
) -> None:
    text = "\n".join(separator.join(row) for row in rows)
    _reads_or_says_why(text.encode(encoding, errors="replace"), suffix)


@FUZZ
@given(
    data=st.binary(max_size=1024),
    column=st.one_of(st.none(), st.integers(min_value=-2, max_value=5), st.text(max_size=5)),
)
def test_chosen_columns_on_random_input(data: bytes, column: object) -> None:
    _reads_or_says_why(data, ".tsv", src_column=column, trg_column=1)
