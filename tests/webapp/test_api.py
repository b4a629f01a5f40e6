"""The public API through gradio_client, and the refusal of everything else, against a launched
app (tiny model, temporary data directory, embedded worker)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio_client import Client, handle_file
from refusals import refused

from mexma_search.app.access import OPERATOR

PUBLIC_ENDPOINTS = {"/search", "/upload", "/job_status"}
DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.[a-z0-9]+$")

WaitJobs = Callable[[list[int]], list[dict[str, Any]]]
NewSession = Callable[[], Any]


def _upload(client: Client, names: list[str], collection: str) -> list[int]:
    files = [handle_file(str(DOCS / name)) for name in names]
    return list(client.predict(files, collection, api_name="/upload"))


def test_only_search_upload_and_job_status_are_public(client: Client, tiny_app: Any) -> None:
    api = client.view_api(print_info=False, return_format="dict")
    assert set(api["named_endpoints"]) == PUBLIC_ENDPOINTS
    assert api["unnamed_endpoints"] == {}
    info = httpx.get(f"{tiny_app.url}gradio_api/info", params={"all_endpoints": True}).json()
    assert set(info["named_endpoints"]) == PUBLIC_ENDPOINTS
    config = httpx.get(f"{tiny_app.url}config").json()
    visible = {
        dep["api_name"] for dep in config["dependencies"] if dep["api_visibility"] != "private"
    }
    assert visible == {name.strip("/") for name in PUBLIC_ENDPOINTS}


def test_upload_follow_jobs_and_search_with_filters(
    client: Client, wait_jobs: WaitJobs, tiny_app: Any
) -> None:
    job_ids = _upload(client, ["river_en.txt", "river_fr.md", "bakery_es.html"], "api-test")
    jobs = wait_jobs(job_ids)
    assert [job["status"] for job in jobs] == ["succeeded"] * 3
    assert all(job["parameters"]["collection"] == "api-test" for job in jobs)

    results = client.predict("the old river", 5, None, ["api-test"], None, api_name="/search")
    assert 0 < len(results) <= 5
    assert {"score", "text", "sentence", "lang", "document", "document_id"} <= set(results[0])
    # hybrid ranks by fused rank; each score shown is the passage's cosine
    assert all(-1.0 <= r["score"] <= 1.0 for r in results)

    french = client.predict("river", 10, ["fr"], None, None, api_name="/search")
    assert french and {r["lang"] for r in french} == {"fr"}
    assert {r["document"] for r in french} == {"river_fr.md"}

    document_id = results[0]["document_id"]
    same_document = client.predict("river", 10, None, None, document_id, api_name="/search")
    assert {r["document_id"] for r in same_document} == {document_id}

    stored = [path.name for path in tiny_app.settings.uploads_dir.iterdir()]
    assert stored and all(STORED_NAME.match(name) for name in stored), stored


def test_job_status_of_an_unknown_job_is_an_error(client: Client) -> None:
    with pytest.raises(Exception, match="no job 999999"):
        client.predict(999999, api_name="/job_status")


def test_an_empty_query_is_an_error(client: Client) -> None:
    with pytest.raises(Exception, match="empty"):
        client.predict("   ", 5, api_name="/search")


def test_uploads_over_the_size_limit_are_refused_by_the_server(
    client: Client, tmp_path: Path
) -> None:
    big = tmp_path / "big.txt"
    big.write_text("word " * (300 * 1024))  # 1.5 MB, the limit is 1 MB
    with pytest.raises(Exception, match=r"413|too large|exceeds"):
        client.predict([handle_file(str(big))], "default", api_name="/upload")


def test_unsupported_files_fail_their_job_with_a_reason(
    client: Client, wait_jobs: WaitJobs, tmp_path: Path
) -> None:
    odd = tmp_path / "notes.xyz"
    odd.write_text("not a supported format")
    try:
        job_ids = client.predict([handle_file(str(odd))], "default", api_name="/upload")
    except Exception as exc:  # Gradio itself may refuse the file type
        assert "Invalid file type" in str(exc) or "xyz" in str(exc)
        return
    (job,) = wait_jobs(job_ids)
    assert job["status"] == "failed" and ".xyz" in job["error"]


def test_gradio_client_cannot_call_private_endpoints(client: Client) -> None:
    for name in ("/delete_document", "/admin_login", "/admin_promote", "/run"):
        with pytest.raises(Exception, match=r"Cannot find a function|not found|private"):
            client.predict(api_name=name)


def test_admin_handlers_refuse_a_session_without_login(
    new_session: NewSession, tiny_app: Any, client: Client, wait_jobs: WaitJobs
) -> None:
    raw_client = new_session()
    (job_id,) = _upload(client, ["train_de.txt"], "admin-test")
    (job,) = wait_jobs([job_id])
    document_id = job["parameters"]["document_id"]

    # a page load fills this session's choices (Gradio checks dropdown values against them)
    assert raw_client.call("on_load", [])["success"] is True
    # a visitor does not even see the document, so it is not one of their choices
    assert raw_client.call("delete_document", [document_id])["success"] is False
    assert refused(raw_client.call("admin_cancel", [None]))
    assert refused(raw_client.call("admin_promote", [None]))
    assert refused(raw_client.call("admin_refresh", [None]))
    assert document_id in {
        d.id for d in tiny_app.services.list_documents(limit=1000, caller=OPERATOR)
    }


def test_login_is_checked_on_the_server_and_kept_per_session(
    new_session: NewSession,
    tiny_app: Any,
    client: Client,
    wait_jobs: WaitJobs,
    admin_password: str,
) -> None:
    raw_client = new_session()
    (job_id,) = _upload(client, ["timetable.csv"], "login-test")
    (job,) = wait_jobs([job_id])
    document_id = job["parameters"]["document_id"]
    raw_client.call("on_load", [])

    wrong = raw_client.call("admin_login", ["admin", "not the password"])
    assert wrong["success"] is False and "Wrong user name or password" in str(wrong["output"])
    assert raw_client.log_in(admin_password)["success"] is True
    raw_client.call("on_load", [])  # the admin's page now lists the document

    other_session = new_session()
    other_session.call("on_load", [])
    assert other_session.call("delete_document", [document_id])["success"] is False

    assert raw_client.call("delete_document", [document_id])["success"] is True
    assert document_id not in {
        d.id for d in tiny_app.services.list_documents(limit=1000, caller=OPERATOR)
    }


def test_the_app_binds_locally_sends_nothing_out_and_limits_uploads(tiny_app: Any) -> None:
    assert tiny_app.blocks.server_name == "127.0.0.1"
    config = httpx.get(f"{tiny_app.url}config").json()
    assert config["analytics_enabled"] is False
    assert config["max_file_size"] == 2**20
    page = httpx.get(tiny_app.url).text
    assert "googleapis" not in page and "cdn." not in page
