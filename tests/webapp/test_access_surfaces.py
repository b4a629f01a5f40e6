"""Every way into the running app answers a user only with the collections they may read: the
public Gradio API (gradio_client), the page's own events (raw queue protocol, with the
session cookie) and the local ``/api/search`` route (tiny app)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import (
    ADMIN_PASSWORD,
    RawQueueClient,
    RunningApp,
    app_settings,
    logged_in_client,
    run_app,
)
from gradio_client import Client, handle_file

from mexma_search.app.access import OPERATOR
from mexma_search.app.running_app import OPERATOR_HEADER, SEARCH_PATH
from mexma_search.webapp.sessions import COOKIE

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
PASSWORD = "a long password"
QUERY = "river Zug Bahnhof bakery"


@pytest.fixture(scope="module")
def secured_app(
    tmp_path_factory: pytest.TempPathFactory, tiny_mean_model_dir: Path
) -> Iterator[RunningApp]:
    """The tiny app with documents in ``public`` (open to everyone), ``team`` (granted to
    ``rita``) and ``secret`` (granted to nobody), and users ``rita`` and ``nora`` (no grant)."""
    settings = app_settings(tmp_path_factory.mktemp("access") / "data", tiny_mean_model_dir)
    for app in run_app(settings):
        services, accounts = app.services, app.services.accounts
        accounts.set_public("public")
        for name, collection in [
            ("river_en.txt", "public"),
            ("river_fr.md", "team"),
            ("train_de.txt", "secret"),
            ("bakery_es.html", "secret"),
        ]:
            services.ingest_paths([DOCS / name], collection, caller=OPERATOR, wait=True)
        accounts.add_user("rita", PASSWORD)
        accounts.add_user("nora", PASSWORD)
        accounts.grant("team", user="rita")
        yield app


def _documents(app: RunningApp, collection: str) -> set[int]:
    return {d.id for d in app.services.list_documents(collection=collection, caller=OPERATOR)}


def _collections(results: list[dict[str, Any]]) -> set[str]:
    return {r["collection"] for r in results} | {
        p["collection"] for r in results for p in r.get("passages", [])
    }


def _raw(app: RunningApp, user: str | None) -> RawQueueClient:
    raw = RawQueueClient(app.url)
    if user is not None:
        assert raw.log_in(PASSWORD, user)["success"]
    assert raw.call("on_load", [])["success"]
    return raw


def test_the_public_api_searches_only_readable_collections(secured_app: RunningApp) -> None:
    url = secured_app.url
    visitor = Client(url, verbose=False)
    nora = logged_in_client(url, "nora", PASSWORD)
    rita = logged_in_client(url, "rita", PASSWORD)
    admin = logged_in_client(url, "admin", ADMIN_PASSWORD)
    search = {"k": 50, "api_name": "/search"}
    assert _collections(visitor.predict(QUERY, **search)) == {"public"}
    assert _collections(nora.predict(QUERY, **search)) == {"public"}
    assert _collections(rita.predict(QUERY, **search)) == {"public", "team"}
    assert _collections(admin.predict(QUERY, **search)) == {"public", "team", "secret"}
    # asking for a collection, or a document, one may not read gives nothing
    assert rita.predict(QUERY, 50, None, ["secret"], None, api_name="/search") == []
    for document_id in _documents(secured_app, "secret"):
        assert rita.predict(QUERY, 50, None, None, document_id, api_name="/search") == []


def test_job_status_and_upload_refuse_who_may_not(secured_app: RunningApp, tmp_path: Path) -> None:
    url = secured_app.url
    rita = logged_in_client(url, "rita", PASSWORD)
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


def test_the_pages_own_events_show_nothing_unreadable(secured_app: RunningApp) -> None:
    secret = _documents(secured_app, "secret")
    for user in (None, "nora"):
        raw = _raw(secured_app, user)
        html = raw.call("run", [QUERY, 50, None, None, 0])["output"]["data"][0]
        assert "river_en.txt" in html
        for hidden in ("river_fr.md", "train_de.txt", "bakery_es.html"):
            assert hidden not in html
        # the "more from this document" button of a card the page never showed
        for document_id in secret:
            more = raw.call(
                "more_from_document", [QUERY, 50, None, None], event_data={"document": document_id}
            )
            assert "train_de.txt" not in str(more) and "bakery_es.html" not in str(more)
        listing = raw.call("refresh", [])["output"]["data"]
        assert "secret" not in str(listing) and "team" not in str(listing)
        assert "river_en.txt" in str(listing)
        filters = raw.call("refresh_filters", [])["output"]["data"]
        assert "secret" not in str(filters) and "train_de.txt" not in str(filters)


def test_the_local_search_route_answers_for_the_cookies_user(secured_app: RunningApp) -> None:
    address = f"{secured_app.url.rstrip('/')}{SEARCH_PATH}"
    params = {"q": QUERY, "k": "50"}
    visitor = httpx.get(address, params=params)
    assert visitor.status_code == 200 and _collections(visitor.json()) == {"public"}
    nora = _raw(secured_app, "nora")
    answer = nora.http.get(address, params={**params, "collection": "secret"})
    assert answer.status_code == 200 and answer.json() == []
    rita = _raw(secured_app, "rita")
    assert _collections(rita.http.get(address, params=params).json()) == {"public", "team"}
    forged = httpx.get(address, params=params, cookies={COOKIE: "forged"})
    assert _collections(forged.json()) == {"public"}
    guessed = httpx.get(address, params=params, headers={OPERATOR_HEADER: "guessed"})
    assert _collections(guessed.json()) == {"public"}


def test_without_anonymous_reading_a_visitor_gets_nothing(
    tmp_path_factory: pytest.TempPathFactory, tiny_mean_model_dir: Path
) -> None:
    settings = app_settings(
        tmp_path_factory.mktemp("closed") / "data", tiny_mean_model_dir, anonymous_read=False
    )
    for app in run_app(settings):
        app.services.accounts.set_public("public")
        app.services.ingest_paths([DOCS / "river_en.txt"], "public", caller=OPERATOR, wait=True)
        with pytest.raises(Exception, match="Log in first"):
            Client(app.url, verbose=False).predict(QUERY, api_name="/search")
        answer = httpx.get(f"{app.url.rstrip('/')}{SEARCH_PATH}", params={"q": QUERY})
        assert answer.status_code == 403 and "Log in first" in answer.json()["error"]
        raw = RawQueueClient(app.url)
        assert raw.call("on_load", [])["success"], "the page itself still loads"
        assert raw.call("run", [QUERY, 10, None, None, 0])["success"] is False
