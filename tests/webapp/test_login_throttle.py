"""Login throttling over Gradio's queue protocol: per client (the address the server sees), answered
at once, and a flood of logins neither fills the queue nor stops searches (tiny app)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import gradio as gr
import httpx
import pytest
from gradio_client import Client

from mexma_search.webapp import limits

FLOOD = 300
NewSession = Callable[..., Any]


def _message(result: dict[str, Any]) -> str:
    assert result["success"] is False, result
    return str(result["output"])


def test_a_failing_client_is_answered_at_once_and_does_not_delay_another(
    new_session: NewSession, admin_password: str
) -> None:
    attacker = new_session("10.1.0.1")
    wrong = [_message(attacker.call("admin_login", ["admin", "guess"])) for _ in range(4)]
    assert all("Wrong user name or password" in message for message in wrong)
    for _ in range(10):
        started = time.monotonic()
        message = _message(attacker.call("admin_login", ["admin", "guess"]))
        assert "Too many login attempts: try again in" in message
        assert time.monotonic() - started < 1.0
    # the attacker's own correct guess is refused too while it is throttled
    assert "Too many login attempts" in _message(
        attacker.call("admin_login", ["admin", admin_password])
    )

    started = time.monotonic()
    admin = new_session("10.1.0.2")
    assert admin.call("admin_login", ["admin", admin_password])["success"] is True
    assert time.monotonic() - started < 5.0


def test_a_user_name_attacked_from_many_clients_is_backed_off(
    new_session: NewSession, admin_password: str
) -> None:
    for client in range(4):
        attacker = new_session(f"10.2.0.{client}")
        assert "Wrong user name" in _message(attacker.call("admin_login", ["admin", "guess"]))
    admin = new_session("10.2.1.1")
    assert "try again in 1 s" in _message(admin.call("admin_login", ["admin", admin_password]))
    time.sleep(1.1)
    assert admin.call("admin_login", ["admin", admin_password])["success"] is True


def test_searches_answer_during_a_login_flood(new_session: NewSession, client: Client) -> None:
    flooder = new_session("10.3.0.1")
    with ThreadPoolExecutor(max_workers=32) as pool:
        joins = [
            pool.submit(flooder.join, "admin_login", ["admin", f"guess {n}"], own_connection=True)
            for n in range(FLOOD)
        ]
        searches = [client.predict("river", 3, api_name="/search") for _ in range(5)]
        refused = [join.result() for join in joins if join.result().status_code != 200]
    assert all(isinstance(results, list) for results in searches)
    # refused by the login group's own bound, never because the whole queue is full
    assert refused and all(
        answer.status_code == 503 and "Too many login requests waiting" in answer.text
        for answer in refused
    )


def _join(url: str, api_name: str, text: str) -> httpx.Response:
    config = httpx.get(f"{url}config").json()
    (index,) = [dep["id"] for dep in config["dependencies"] if dep["api_name"] == api_name]
    body = {"data": [text], "fn_index": index, "session_hash": uuid.uuid4().hex[:11]}
    return httpx.post(f"{url}gradio_api/queue/join", json=body)


@pytest.fixture
def slow_and_fast() -> Iterator[tuple[str, threading.Event, threading.Event]]:
    """An app with a blocking event in a group bounded to 2 waiting and a quick one beside it."""
    running, release = threading.Event(), threading.Event()

    def slow(text: str) -> str:
        running.set()
        release.wait(30)
        return text

    def fast(text: str) -> str:
        return text.upper()

    with gr.Blocks(analytics_enabled=False) as blocks:
        gr.api(slow, api_name="slow", concurrency_id="bounded", concurrency_limit=1)
        gr.api(fast, api_name="fast", concurrency_id="other", concurrency_limit=1)
    blocks.queue(max_size=3)
    limits.bound_group(blocks, "bounded", 2)
    _, url, _ = blocks.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True)
    try:
        yield str(url), running, release
    finally:
        release.set()
        blocks.close()


def test_a_bounded_group_refuses_only_its_own_overflow(
    slow_and_fast: tuple[str, threading.Event, threading.Event],
) -> None:
    url, running, release = slow_and_fast
    assert _join(url, "slow", "one").status_code == 200
    assert running.wait(10)
    assert [_join(url, "slow", word).status_code for word in ("two", "three")] == [200, 200]
    refused = _join(url, "slow", "four")
    assert refused.status_code == 503 and "bounded" in refused.text
    # the whole queue (3) still has room for the other group
    assert Client(url, verbose=False).predict("hi", api_name="/fast") == "HI"
    release.set()
    assert httpx.get(f"{url}gradio_api/info").status_code == 200
