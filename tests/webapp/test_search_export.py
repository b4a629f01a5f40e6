"""The Search tab's export over Gradio's queue protocol: the current query and filters'
results as a CSV or JSONL file; no query is a message, not a file."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from refusals import refused

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
TIMEOUT_S = 120


def _download(app: Any, message: dict[str, Any]) -> tuple[str, str]:
    assert message["success"] is True, message
    file = message["output"]["data"][0]
    response = httpx.get(file["url"], timeout=30)
    response.raise_for_status()
    return file["orig_name"], response.text


def test_the_results_export_as_csv_and_jsonl_with_the_filters(
    new_session: Callable[[], Any], tiny_app: Any, admin_password: str
) -> None:
    services = tiny_app.services
    job_ids = services.ingest_paths([DOCS / "river_en.txt", DOCS / "river_fr.md"], "export")
    services.wait_for_jobs(job_ids, TIMEOUT_S)
    session = new_session()
    # the collection is not public: the export searches as the logged-in admin
    assert session.log_in(admin_password)["success"] is True
    assert session.call("on_load", [])["success"] is True  # the page fills the filters' choices

    name, text = _download(
        tiny_app, session.call("search_export", ["jsonl", "river", 5, None, ["export"], 0])
    )
    assert name == "search-results.jsonl"
    records = [json.loads(line) for line in text.splitlines()]
    expected = services.search("river", k=5, collection=["export"])
    assert [r["document_id"] for r in records] == [r.document_id for r in expected]
    assert {r["document"] for r in records} == {"river_en.txt", "river_fr.md"}

    name, text = _download(
        tiny_app, session.call("search_export", ["csv", "river", 5, ["fr"], ["export"], 0])
    )
    assert name == "search-results.csv"
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and {row["lang"] for row in rows} == {"fr"}
    assert {row["document"] for row in rows} == {"river_fr.md"}


def test_an_export_without_a_query_is_a_message(new_session: Callable[[], Any]) -> None:
    message = new_session().call("search_export", ["csv", "  ", 5, None, None, 0])
    assert refused(message, "Type a query first")
