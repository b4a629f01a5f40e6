"""Search results and a document's passages as files: CSV (one row per passage) and JSON Lines."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from mexma_search.app.document_reads import PassageInfo
from mexma_search.app.views import SearchResult

ExportFormat = Literal["csv", "jsonl"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("csv", "jsonl")
MEDIA_TYPES: dict[ExportFormat, str] = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
}
CSV_COLUMNS = (
    "rank",
    "score",
    "document",
    "document_id",
    "collection",
    "lang",
    "chunk",
    "chunk_id",
    "sentence",
    "text",
    "model_version",
)


def _rows(results: Sequence[SearchResult]) -> Iterator[dict[str, Any]]:
    """One row per passage; a grouped result's further passages share its rank."""
    for rank, result in enumerate(results, start=1):
        for passage in (result, *result.passages):
            row = passage.to_dict()
            yield {"rank": rank, **{column: row[column] for column in CSV_COLUMNS[1:]}}


def results_as_csv(results: Sequence[SearchResult]) -> str:
    """The results as CSV with a header row (columns: ``CSV_COLUMNS``)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_rows(results))
    return buffer.getvalue()


def _jsonl(records: Iterator[dict[str, Any]]) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def results_as_jsonl(results: Sequence[SearchResult]) -> str:
    """One JSON object per result (as the search API returns it, with its rank)."""
    return _jsonl({"rank": rank, **r.to_dict()} for rank, r in enumerate(results, start=1))


def export_results(results: Sequence[SearchResult], fmt: ExportFormat) -> str:
    """The results in format ``fmt`` ('csv' or 'jsonl'); ValueError for another format."""
    if fmt == "csv":
        return results_as_csv(results)
    if fmt == "jsonl":
        return results_as_jsonl(results)
    raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")


def passages_as_jsonl(passages: Sequence[PassageInfo]) -> str:
    """One JSON object per passage, in reading order."""
    return _jsonl(passage.to_dict() for passage in passages)
