"""Every way into the running app answers a user only with the collections they may read: the
public Gradio API (gradio_client) and the page's own events (raw queue protocol, with the
session cookie), tiny app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client, handle_file
from refusals import refused

from mexma_search.app.access import OPERATOR

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
PASSWORD = "a long password"
QUERY = "river Zug Bahnhof bakery"


def _documents(app: Any, collection: str) -> set[int]:
    return {d.id for d in app.services.list_documents(collection=collection, caller=OPERATOR)}


def _collections(results: list[dict[str, Any]]) -> set[str]:
    return {r["collection"] for r in results} | {
        p["collection"] for r in results for p in r.get("passages", [])
    }


def _raw(app: Any, user: str | None) -> Any:
    raw = app.raw_client()
    if user is not None:
        assert raw.log_in(PASSWORD, user)["success"]
    assert raw.call("on_load", [])["success"]
    return raw


def test_the_public_api_searches_only_readable_collections(secured_app: Any) -> None:
    url = secured_app.url
    visitor = Client(url, verbose=False)
    nora = secured_app.log_in("nora", PASSWORD)
    rita = secured_app.log_in("rita", PASSWORD)
    admin = secured_app.log_in("admin", secured_app.admin_password)
    search = {"k": 50, "api_name": "/search"}
    assert _collections(visitor.predict(QUERY, **search)) == {"public"}
    assert _collections(nora.predict(QUERY, **search)) == {"public"}
    assert _collections(rita.predict(QUERY, **search)) == {"public", "team"}
    assert _collections(admin.predict(QUERY, **search)) == {"public", "team", "secret"}
    # asking for a collection, or a document, one may not read gives nothing
    assert rita.predict(QUERY, 50, None, ["secret"], None, api_name="/search") == []
    for document_id in _documents(secured_app, "secret"):
        assert rita.predict(QUERY, 50, None, None, document_id, api_name="/search") == []


def test_job_status_and_upload_refuse_who_may_not(secured_app: Any, tmp_path: Path) -> None:
    url = secured_app.url
    rita = secured_app.log_in("rita", PASSWORD)
    secret_jobs = [
        job.id
        for job in secured_app.services.list_jobs(kind="ingest")
        if job.parameters.get("collection") == "secret"
    ]
    assert secret_jobs
    for job_id in secret_jobs:
        with pytest.raises(Exception, match=f"no job {job_id}"):
            rita.predict(job_id, api_name="/job_status")
    note = tmp_path / "note.txt"
    note.write_text("A reader's note.", encoding="utf-8")
    with pytest.raises(Exception, match="You may not add documents"):
        rita.predict([handle_file(str(note))], "team", api_name="/upload")
    with pytest.raises(Exception, match="You may not add documents"):
        Client(url, verbose=False).predict([handle_file(str(note))], "public", api_name="/upload")
    assert not any(
        d.filename == "note.txt" for d in secured_app.services.list_documents(caller=OPERATOR)
    )


def test_the_pages_own_events_show_nothing_unreadable(secured_app: Any) -> None:
    secret = _documents(secured_app, "secret")
    for user in (None, "nora"):
        raw = _raw(secured_app, user)
        html = raw.call("run", [QUERY, 50, None, None, 0, True])["output"]["data"][0]
        assert "river_en.txt" in html
        for hidden in ("river_fr.md", "train_de.txt", "bakery_es.html"):
            assert hidden not in html
        # the "more from this document" button of a card the page never showed
        for document_id in secret:
            more = raw.call(
                "more_from_document",
                [QUERY, 50, None, None, True],
                event_data={"document": document_id},
            )
            assert "train_de.txt" not in str(more) and "bakery_es.html" not in str(more)
        listing = raw.call("refresh", ["", "", "", 1])["output"]["data"]
        assert "secret" not in str(listing) and "team" not in str(listing)
        assert "river_en.txt" in str(listing)
        filters = raw.call("refresh_filters", [])["output"]["data"]
        assert "secret" not in str(filters) and "train_de.txt" not in str(filters)


def test_without_anonymous_reading_a_visitor_gets_nothing(closed_app: Any) -> None:
    with pytest.raises(Exception, match="Log in first"):
        Client(closed_app.url, verbose=False).predict(QUERY, api_name="/search")
    raw = closed_app.raw_client()
    assert raw.call("on_load", [])["success"], "the page itself still loads"
    assert refused(raw.call("run", [QUERY, 10, None, None, 0, True]), "Log in first")
