"""The HTTP API under /api of a launched app (tiny model, embedded worker), with real tokens:
every route, the refusals (401 without or with a revoked or expired token, 403 for a scope too
small), bad input (404, 422) with the JSON error body, and the OpenAPI document."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from mexma_search.store import session_scope
from mexma_search.store.tables import ApiToken
from mexma_search.store.types import utcnow

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
TIMEOUT_S = 120


def _client(app: Any, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=f"{app.url.rstrip('/')}/api", headers=headers, timeout=60)


def _token(app: Any, scope: str, **options: Any) -> str:
    return app.services.tokens.create(f"test {scope}", "admin", scope, **options).secret


@pytest.fixture(scope="module")
def reader(tiny_app: Any) -> Iterator[httpx.Client]:
    with _client(tiny_app, _token(tiny_app, "read")) as client:
        yield client


@pytest.fixture(scope="module")
def writer(tiny_app: Any) -> Iterator[httpx.Client]:
    with _client(tiny_app, _token(tiny_app, "write")) as client:
        yield client


def _error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    return str(body["error"]["message"])


def _wait(client: httpx.Client, job_ids: list[int]) -> list[dict[str, Any]]:
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        jobs = [client.get(f"/jobs/{job_id}").json() for job_id in job_ids]
        if all(job["status"] in {"succeeded", "failed", "cancelled"} for job in jobs):
            return jobs
        assert time.monotonic() < deadline, jobs
        time.sleep(0.3)


@pytest.fixture(scope="module")
def uploaded(writer: httpx.Client) -> list[dict[str, Any]]:
    """Three documents uploaded through the API into collection 'rest', ingested."""
    names = ["river_en.txt", "river_fr.md", "bakery_es.html"]
    files = [("files", (name, (DOCS / name).read_bytes())) for name in names]
    response = writer.post("/documents", files=files, data={"collection": "rest"})
    assert response.status_code == 202, response.text
    jobs = _wait(writer, response.json()["job_ids"])
    assert [job["status"] for job in jobs] == ["succeeded"] * 3
    return jobs


def test_every_route_refuses_a_request_without_a_valid_token(tiny_app: Any) -> None:
    tokens = tiny_app.services.tokens
    revoked = tokens.create("revoked", "admin", "admin")
    assert tokens.revoke(revoked.info.id) and not tokens.revoke(revoked.info.id)
    expired = tokens.create("expired", "admin", "admin", expires_in_days=1)
    with session_scope(tiny_app.services.runtime.engine) as session:
        row = session.get(ApiToken, expired.info.id)
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
    requests = [
        ("GET", "/search?q=river"),
        ("GET", "/search/export?q=river"),
        ("GET", "/documents"),
        ("POST", "/documents"),
        ("GET", "/documents/1"),
        ("DELETE", "/documents/1"),
        ("GET", "/documents/1/passages"),
        ("GET", "/documents/1/passages/export"),
        ("POST", "/documents/1/reingest"),
        ("GET", "/jobs"),
        ("GET", "/jobs/1"),
        ("POST", "/jobs/1/cancel"),
        ("GET", "/collections"),
        ("GET", "/models"),
        ("POST", "/models/any/promote"),
        ("GET", "/tm"),
        ("GET", "/tm/search?q=river"),
    ]
    for token, reason in [
        (None, "an API token is needed"),
        ("mxs_not-a-token", "unknown API token"),
        (revoked.secret, "revoked"),
        (expired.secret, "expired"),
    ]:
        with _client(tiny_app, token) as client:
            for method, path in requests:
                response = client.request(method, path)
                assert reason in _error(response, 401, "unauthorized"), (method, path)
                assert response.headers["www-authenticate"] == "Bearer"


def test_a_read_token_cannot_write_and_a_write_token_cannot_promote(
    reader: httpx.Client, writer: httpx.Client
) -> None:
    files = [("files", ("a.txt", b"some text"))]
    for response in [
        reader.post("/documents", files=files),
        reader.delete("/documents/1"),
        reader.post("/documents/1/reingest", json={"encoding": "cp1252"}),
        reader.post("/jobs/1/cancel"),
        reader.post("/models/any/promote"),
    ]:
        assert "write scope" in _error(response, 403, "forbidden") or "admin" in response.text
    message = _error(writer.post("/models/any/promote"), 403, "forbidden")
    assert "admin scope" in message and "write" in message


def test_upload_list_get_passages_and_export_a_document(
    reader: httpx.Client, uploaded: list[dict[str, Any]]
) -> None:
    listed = reader.get("/documents", params={"collection": "rest"}).json()
    assert {d["filename"] for d in listed["items"]} == {
        "river_en.txt",
        "river_fr.md",
        "bakery_es.html",
    }
    assert all(d["status"] == "indexed" for d in listed["items"])
    one_page = reader.get("/documents", params={"collection": "rest", "limit": 1, "offset": 1})
    assert [d["id"] for d in one_page.json()["items"]] == [listed["items"][1]["id"]]

    french = next(d for d in listed["items"] if d["filename"] == "river_fr.md")
    document = reader.get(f"/documents/{french['id']}").json()
    assert document == french
    passages = reader.get(f"/documents/{french['id']}/passages").json()["items"]
    assert len(passages) == french["n_chunks"] > 0
    assert [p["chunk"] for p in passages] == list(range(len(passages)))
    assert "rivière" in " ".join(p["text"] for p in passages).lower()

    exported = reader.get(f"/documents/{french['id']}/passages/export")
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in exported.headers["content-disposition"]
    lines = [json.loads(line) for line in exported.text.splitlines()]
    assert lines == passages
    assert reader.get("/collections").json()["items"] == ["rest"]


def test_search_filters_groups_pages_and_exports(
    reader: httpx.Client, uploaded: list[dict[str, Any]]
) -> None:
    # dense: a hybrid ranking fuses ranks, so its cosine scores need not come in order
    params = {"q": "river", "k": 10, "collection": "rest", "mode": "dense"}
    page = reader.get("/search", params=params).json()
    results = page["results"]
    assert {r["document"] for r in results} == {"river_en.txt", "river_fr.md", "bakery_es.html"}
    assert page["next_offset"] is None and page["offset"] == 0
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)

    # pages of the same ranking (same mode)
    first = reader.get("/search", params={**params, "k": 1}).json()
    second = reader.get("/search", params={**params, "k": 1, "offset": 1}).json()
    assert first["next_offset"] == 1 and second["offset"] == 1
    assert first["results"][0]["document_id"] == results[0]["document_id"]
    assert second["results"][0]["document_id"] == results[1]["document_id"]

    french = reader.get("/search", params={"q": "river", "lang": "fr", "group": "false"}).json()
    assert french["results"] and {r["lang"] for r in french["results"]} == {"fr"}
    assert all(r["passages"] == [] for r in french["results"])
    elsewhere = reader.get("/search", params={"q": "river", "collection": "no-such"}).json()
    assert elsewhere["results"] == []

    as_csv = reader.get("/search/export", params={**params, "format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert next(row["document_id"] for row in rows if row["rank"] == "1") == str(
        results[0]["document_id"]
    )
    assert {row["document"] for row in rows} == {r["document"] for r in results}
    as_jsonl = reader.get("/search/export", params={**params, "format": "jsonl"})
    records = [json.loads(line) for line in as_jsonl.text.splitlines()]
    assert [r["document_id"] for r in records] == [r["document_id"] for r in results]
    assert [r["rank"] for r in records] == list(range(1, len(results) + 1))


def test_bad_input_gets_the_error_body(reader: httpx.Client, writer: httpx.Client) -> None:
    assert "empty" in _error(reader.get("/search", params={"q": "  "}), 422, "invalid_request")
    assert "k" in _error(reader.get("/search", params={"q": "x", "k": 0}), 422, "invalid_request")
    message = _error(
        reader.get("/search", params={"q": "x", "k": 60, "offset": 60}), 422, "invalid_request"
    )
    assert "offset + k" in message
    _error(reader.get("/search", params={"q": "x", "mode": "fuzzy"}), 422, "invalid_request")
    _error(reader.get("/search/export", params={"q": "x", "format": "xml"}), 422, "invalid_request")
    _error(reader.get("/documents/abc"), 422, "invalid_request")
    assert "no document 999999" in _error(reader.get("/documents/999999"), 404, "not_found")
    _error(reader.get("/documents/999999/passages"), 404, "not_found")
    _error(writer.delete("/documents/999999"), 404, "not_found")
    assert "no job 999999" in _error(reader.get("/jobs/999999"), 404, "not_found")
    _error(writer.post("/jobs/999999/cancel"), 404, "not_found")
    _error(reader.get("/jobs", params={"status": "sleeping"}), 422, "invalid_request")
    _error(reader.get("/no-such-route"), 404, "not_found")
    _error(writer.post("/documents", data={"collection": "x"}), 422, "invalid_request")
    _error(
        writer.post("/documents", files=[("files", ("a.txt", b"x"))], data={"collection": " "}),
        422,
        "invalid_request",
    )


def test_jobs_are_listed_and_cancelled(
    reader: httpx.Client, writer: httpx.Client, uploaded: list[dict[str, Any]]
) -> None:
    jobs = reader.get("/jobs", params={"kind": "ingest", "limit": 100}).json()["items"]
    assert {job["id"] for job in uploaded} <= {job["id"] for job in jobs}
    ended = uploaded[0]["id"]
    assert "already ended" in _error(writer.post(f"/jobs/{ended}/cancel"), 409, "conflict")


def test_an_upload_over_the_limit_is_refused_and_keeps_nothing(
    writer: httpx.Client, tiny_app: Any
) -> None:
    before = writer.get("/documents", params={"limit": 1000}).json()["items"]
    big = b"word " * (tiny_app.settings.max_upload_mb << 19)  # 2.5 x the limit
    response = writer.post("/documents", files=[("files", ("big.txt", big))])
    assert "upload limit" in _error(response, 413, "too_large")
    assert writer.get("/documents", params={"limit": 1000}).json()["items"] == before


def test_a_document_is_deleted(writer: httpx.Client) -> None:
    response = writer.post("/documents", files=[("files", ("gone.txt", b"The bridge is old."))])
    job = _wait(writer, response.json()["job_ids"])[0]
    document_id = job["parameters"]["document_id"]
    assert writer.delete(f"/documents/{document_id}").json() == {"deleted": document_id}
    _error(writer.get(f"/documents/{document_id}"), 404, "not_found")


def test_a_document_is_read_again_in_another_encoding(writer: httpx.Client) -> None:
    czech = "Dobrý den, jak se máš? Mám se dobře, děkuji.".encode("cp1250")
    response = writer.post("/documents", files=[("files", ("den.txt", czech))])
    document_id = _wait(writer, response.json()["job_ids"])[0]["parameters"]["document_id"]
    assert writer.get(f"/documents/{document_id}").json()["encoding"] == "cp1252"

    reread = writer.post(f"/documents/{document_id}/reingest", json={"encoding": "cp1250"})
    assert reread.status_code == 202, reread.text
    [job] = _wait(writer, [reread.json()["job_id"]])
    assert job["status"] == "succeeded", job
    assert writer.get(f"/documents/{document_id}").json()["encoding"] == "cp1250"
    passages = writer.get(f"/documents/{document_id}/passages").json()["items"]
    assert "dobře, děkuji" in " ".join(p["text"] for p in passages)

    unknown = writer.post(f"/documents/{document_id}/reingest", json={"encoding": "klingon"})
    assert "unknown text encoding 'klingon'" in _error(unknown, 422, "invalid_request")
    missing = writer.post("/documents/999999/reingest", json={"encoding": "cp1252"})
    assert "no document 999999" in _error(missing, 404, "not_found")
    _error(writer.post(f"/documents/{document_id}/reingest", json={}), 422, "invalid_request")


def test_models_are_listed_and_an_admin_token_may_promote(tiny_app: Any) -> None:
    with _client(tiny_app, _token(tiny_app, "admin")) as admin:
        admin.get("/search", params={"q": "river"})  # the first search registers the model
        models = admin.get("/models").json()["items"]
        assert [m["live"] for m in models].count(True) == 1
        response = admin.post("/models/no-such-model/promote")
        assert "no-such-model" in _error(response, 422, "invalid_request")


def test_the_openapi_document_lists_the_routes_and_the_docs_page_is_served(
    tiny_app: Any,
) -> None:
    base = tiny_app.url.rstrip("/")
    document = httpx.get(f"{base}/api/openapi.json").json()
    assert {
        "/search",
        "/search/export",
        "/documents",
        "/documents/{document_id}",
        "/documents/{document_id}/passages",
        "/documents/{document_id}/passages/export",
        "/documents/{document_id}/reingest",
        "/jobs",
        "/jobs/{job_id}",
        "/jobs/{job_id}/cancel",
        "/collections",
        "/models",
        "/models/{name}/promote",
        "/tm/mine",
        "/tm/align",
        "/tm/jobs/{job_id}/pairs",
        "/tm",
        "/tm/search",
        "/tm/{name}",
    } == set(document["paths"])
    assert document["servers"] == [{"url": "/api"}]
    assert "HTTPBearer" in document["components"]["securitySchemes"]
    assert set(document["paths"]["/documents/{document_id}"]) == {"get", "delete"}
    assert set(document["paths"]["/tm/{name}"]) == {"patch", "delete"}
    assert set(document["paths"]["/tm"]) == {"get", "post"}
    page = httpx.get(f"{base}/api/docs")
    assert page.status_code == 200 and "/api/openapi.json" in page.text


def test_a_token_reads_only_what_its_user_may_read(
    tiny_app: Any, reader: httpx.Client, uploaded: list[dict[str, Any]]
) -> None:
    accounts = tiny_app.services.accounts
    accounts.add_user("nora", "pw-of-nora", "reader")  # no grant: 'rest' is not hers
    nora = tiny_app.services.tokens.create("nora's", "nora", "read").secret
    with _client(tiny_app, nora) as client:
        assert reader.get("/search", params={"q": "river"}).json()["results"]
        assert client.get("/search", params={"q": "river"}).json()["results"] == []
        assert client.get("/documents", params={"collection": "rest"}).json()["items"] == []
        some_id = reader.get("/documents").json()["items"][0]["id"]
        _error(client.get(f"/documents/{some_id}/passages"), 403, "forbidden")
        assert client.get("/jobs").json()["items"] == []
        _error(client.get(f"/jobs/{uploaded[0]['id']}"), 404, "not_found")
        assert reader.get(f"/jobs/{uploaded[0]['id']}").status_code == 200
        accounts.remove_user("nora")
        assert "no account" in _error(client.get("/documents"), 401, "unauthorized")
