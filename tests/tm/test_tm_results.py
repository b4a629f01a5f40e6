"""A job's result file, and the filtered, sorted pages of it that the table and the API show."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mexma_search.tm.mining import MinedPair
from mexma_search.tm.results import (
    ResultCache,
    ResultPair,
    ResultQuery,
    read_results,
    result_page,
    write_results,
)

PAIRS = [
    MinedPair("Good morning", "Buenos días", 1.30),
    MinedPair("The red car", "El coche rojo", 1.05),
    MinedPair("Apples\tand pears", "Manzanas y peras\n", 1.20),
    MinedPair("A cat", "Un gato", 0.98),
]


@pytest.fixture
def stored(tmp_path: Path) -> list[ResultPair]:
    path = tmp_path / "results" / "7.jsonl"
    assert write_results(path, PAIRS) == 4
    return read_results(path)


def _sources(pairs: list[ResultPair]) -> list[str]:
    return [pair.src for pair in pairs]


def test_the_file_keeps_texts_scores_and_order(stored: list[ResultPair]) -> None:
    assert [(p.position, p.src, p.trg, p.score) for p in stored] == [
        (n, p.src, p.trg, p.score) for n, p in enumerate(PAIRS, start=1)
    ]


def test_pages_cut_the_sorted_matches(stored: list[ResultPair]) -> None:
    first = result_page(stored, ResultQuery(page_size=3))
    assert _sources(first.pairs) == ["Good morning", "Apples\tand pears", "The red car"]
    assert (first.matched, first.total, first.pages) == (4, 4, 2)
    second = result_page(stored, ResultQuery(page=2, page_size=3))
    assert _sources(second.pairs) == ["A cat"]
    assert result_page(stored, ResultQuery(page=3, page_size=3)).pairs == []


def test_filters_by_minimum_score_and_text_in_either_side(stored: list[ResultPair]) -> None:
    assert _sources(result_page(stored, ResultQuery(min_score=1.05)).pairs) == [
        "Good morning",
        "Apples\tand pears",
        "The red car",
    ]
    # case-insensitive, on the target side too
    gato = result_page(stored, ResultQuery(contains="GATO"))
    assert (_sources(gato.pairs), gato.matched, gato.total) == (["A cat"], 1, 4)
    both = ResultQuery(contains="e", min_score=1.1)
    assert _sources(both.matching(stored)) == ["Good morning", "Apples\tand pears"]


@pytest.mark.parametrize(
    ("sort", "ascending", "expected"),
    [
        ("score", True, ["A cat", "The red car", "Apples\tand pears", "Good morning"]),
        ("source", True, ["A cat", "Apples\tand pears", "Good morning", "The red car"]),
        ("target", False, ["A cat", "Apples\tand pears", "The red car", "Good morning"]),
        ("position", False, ["A cat", "Apples\tand pears", "The red car", "Good morning"]),
    ],
)
def test_sorts_by_score_text_or_position(
    stored: list[ResultPair], sort: str, ascending: bool, expected: list[str]
) -> None:
    query = ResultQuery(sort=sort, ascending=ascending)  # type: ignore[arg-type]
    assert _sources(query.matching(stored)) == expected


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"sort": "length"}, "sort by one of score, source, target, position"),
        ({"page": 0}, "pages are numbered from 1"),
        ({"page_size": 5000}, "a page holds 1 to 1000 pairs"),
        ({"min_score": float("nan")}, "the minimum score must be a number"),
    ],
)
def test_a_bad_query_is_refused_by_name(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ResultQuery(**fields)  # type: ignore[arg-type]


def test_the_cache_rereads_a_file_that_changed(tmp_path: Path) -> None:
    path = tmp_path / "1.jsonl"
    write_results(path, PAIRS[:2])
    cache = ResultCache(capacity=1)
    assert len(cache.pairs(path)) == 2
    assert cache.pairs(path) is cache.pairs(path)
    write_results(path, PAIRS)
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 5))
    assert len(cache.pairs(path)) == 4
