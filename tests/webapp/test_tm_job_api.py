"""``/api/tm``: admin tokens start mining and alignment jobs and page through their pairs;
other tokens are refused, bad input gets the error body."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
TIMEOUT_S = 120


def _client(app: Any, scope: str) -> httpx.Client:
    token = app.services.tokens.create(f"tm {scope}", "admin", scope).secret
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.Client(base_url=f"{app.url.rstrip('/')}/api", headers=headers, timeout=60)


@pytest.fixture(scope="module")
def admin(tiny_app: Any) -> Iterator[httpx.Client]:
    with _client(tiny_app, "admin") as client:
        yield client


def _finished(client: httpx.Client, job_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        job: dict[str, Any] = client.get(f"/jobs/{job_id}").json()
        if job["status"] in {"succeeded", "failed", "cancelled"}:
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.3)


@pytest.fixture(scope="module")
def copies(admin: httpx.Client) -> list[int]:
    """The same English document in collections tm-a and tm-b; their document ids."""
    ids = []
    for collection in ("tm-a", "tm-b"):
        files = [("files", ("river_en.txt", (DOCS / "river_en.txt").read_bytes()))]
        response = admin.post("/documents", files=files, data={"collection": collection})
        assert response.status_code == 202, response.text
        job = _finished(admin, response.json()["job_ids"][0])
        assert job["status"] == "succeeded", job
        ids.append(job["parameters"]["document_id"])
    return ids


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    return str(response.json()["error"]["message"])


def test_an_alignment_job_is_started_and_its_pairs_paged(
    admin: httpx.Client, copies: list[int]
) -> None:
    body = {"source": {"document_id": copies[0]}, "target": {"document_id": copies[1]}}
    response = admin.post("/tm/align", json=body)
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    assert _finished(admin, job_id)["status"] == "succeeded"
    url = f"/tm/jobs/{job_id}/pairs"
    everything = admin.get(url, params={"sort": "position", "ascending": True, "page_size": 1000})
    pairs = everything.json()["items"]
    # the tiny model knows no language, but a sentence is always closest to itself
    assert pairs and all(pair["src"] == pair["trg"] for pair in pairs)
    assert [pair["position"] for pair in pairs] == list(range(1, len(pairs) + 1))
    page = admin.get(url, params={"page": 2, "page_size": 1, "sort": "position", "ascending": True})
    assert page.json()["items"] == pairs[1:2]
    assert page.json()["pages"] == page.json()["matched"] == len(pairs)
    word = pairs[0]["src"].split()[0]
    found = admin.get(url, params={"contains": word.upper(), "page_size": 1000}).json()
    assert found["matched"] == sum(word.lower() in p["src"].lower() for p in pairs)
    assert found["total"] == len(pairs)


def test_a_mining_job_is_started_on_two_collections(admin: httpx.Client, copies: list[int]) -> None:
    body = {
        "source": {"collection": "tm-a", "lang": "en"},
        "target": {"collection": "tm-b", "lang": "en"},
    }
    response = admin.post("/tm/mine", json=body)
    assert response.status_code == 202, response.text
    job = _finished(admin, response.json()["job_id"])
    assert job["status"] == "succeeded", job
    assert job["metrics"]["task"] == "mine" and job["metrics"]["pairs"] > 0
    chosen = admin.post("/tm/mine", json={**body, "model": job["metrics"]["model"]})
    assert (
        _finished(admin, chosen.json()["job_id"])["parameters"]["model"] == job["metrics"]["model"]
    )


def test_tokens_below_admin_scope_are_refused(tiny_app: Any, copies: list[int]) -> None:
    with _client(tiny_app, "write") as writer:
        body = {"source": {"document_id": copies[0]}, "target": {"document_id": copies[1]}}
        assert "admin scope" in _error(writer.post("/tm/align", json=body), 403)
        assert "admin scope" in _error(writer.get("/tm/jobs/1/pairs"), 403)


def test_bad_requests_get_the_error_body(admin: httpx.Client, copies: list[int]) -> None:
    body = {
        "source": {"collection": "nowhere", "lang": "en"},
        "target": {"collection": "tm-a", "lang": "en"},
    }
    assert _error(admin.post("/tm/mine", json=body), 422) == "no collection named 'nowhere'"
    alignment = {"source": {"document_id": copies[0]}, "target": {"document_id": copies[1]}}
    ghost = admin.post("/tm/align", json={**alignment, "model": "ghost"})
    assert _error(ghost, 422) == "no model version named 'ghost'"
    assert _error(admin.get("/tm/jobs/999999/pairs"), 404) == "no mining or alignment job #999999"
    assert "sort" in _error(admin.get("/tm/jobs/1/pairs", params={"sort": "length"}), 422)
