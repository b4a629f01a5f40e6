"""Export formats: CSV has one row per passage (a grouped result's passages share its rank),
JSONL one result or passage per line; text with commas, quotes and newlines survives."""

from __future__ import annotations

import csv
import io
import json

import pytest

from mexma_search.app.document_reads import PassageInfo
from mexma_search.app.export import CSV_COLUMNS, export_results, passages_as_jsonl
from mexma_search.app.views import SearchResult


def _result(document_id: int, chunk: int, score: float, text: str, **more: object) -> SearchResult:
    return SearchResult(
        score=score,
        text=text,
        sentence=text,
        sentence_start=0,
        sentence_end=len(text),
        lang="en",
        document=f"doc{document_id}.txt",
        document_id=document_id,
        collection="c",
        chunk=chunk,
        chunk_id=document_id * 100 + chunk,
        model_version="m",
        **more,  # type: ignore[arg-type]
    )


RESULTS = [
    _result(1, 0, 0.9, 'A "quoted", line\nand more', passages=(_result(1, 3, 0.7, "third"),)),
    _result(2, 1, 0.5, "Ünïcode ✓"),
]


def test_csv_has_a_row_per_passage_with_the_rank_of_its_document() -> None:
    rows = list(csv.DictReader(io.StringIO(export_results(RESULTS, "csv"))))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [(r["rank"], r["document_id"], r["chunk"]) for r in rows] == [
        ("1", "1", "0"),
        ("1", "1", "3"),
        ("2", "2", "1"),
    ]
    assert rows[0]["text"] == 'A "quoted", line\nand more' and rows[2]["text"] == "Ünïcode ✓"


def test_jsonl_has_a_result_per_line_with_its_rank_and_passages() -> None:
    lines = export_results(RESULTS, "jsonl").splitlines()
    records = [json.loads(line) for line in lines]
    assert [(r["rank"], r["document_id"]) for r in records] == [(1, 1), (2, 2)]
    assert [p["chunk"] for p in records[0]["passages"]] == [3]
    assert "Ünïcode" in lines[1]  # not escaped


def test_passages_are_one_per_line_and_an_unknown_format_is_refused() -> None:
    passages = [PassageInfo(7, n, 70 + n, "fr", f"texte {n}", n * 10, n * 10 + 7) for n in range(3)]
    records = [json.loads(line) for line in passages_as_jsonl(passages).splitlines()]
    assert [(r["chunk"], r["text"]) for r in records] == [(n, f"texte {n}") for n in range(3)]
    assert export_results([], "csv").strip() == ",".join(CSV_COLUMNS)
    with pytest.raises(ValueError, match="unknown export format 'xml'"):
        export_results(RESULTS, "xml")  # type: ignore[arg-type]
