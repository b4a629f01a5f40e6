"""Logins are checked on the server against the accounts, with failed logins throttled per
client and per user name (the accounts themselves: tests/app/test_users.py)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import gradio as gr
import pytest
from fake_clock import FakeClock

from mexma_search.webapp import auth, throttle
from mexma_search.webapp.throttle import LoginThrottle


@pytest.fixture
def credentials(clock: FakeClock) -> auth.Credentials:
    """Credentials for admin / s3cret whose throttle runs on ``clock``."""
    return auth.Credentials(_admin_with("s3cret"), LoginThrottle(clock=clock))


def _admin_with(secret: str, checked: list[str] | None = None) -> auth.Authenticate:
    """Accepts ``admin`` with ``secret``, noting each password checked in ``checked``."""

    def authenticate(name: str, password: str) -> str | None:
        if checked is not None:
            checked.append(password)
        return "admin" if name == "admin" and password == secret else None

    return authenticate


def _fail(credentials: auth.Credentials, client: str, times: int, user: str = "admin") -> None:
    for _ in range(times):
        assert credentials.login(user, "guess", client) is None


def test_backoff_is_free_for_three_failures_then_doubles_up_to_a_cap() -> None:
    delays = [throttle.backoff_s(failures) for failures in range(1, 12)]
    assert delays == [0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60]


def test_a_throttled_attempt_is_refused_at_once_without_checking_the_password(
    clock: FakeClock,
) -> None:
    checked: list[str] = []
    credentials = auth.Credentials(_admin_with("s3cret", checked), LoginThrottle(clock=clock))
    _fail(credentials, "10.0.0.1", 4)
    started = time.monotonic()
    with pytest.raises(gr.Error, match=r"Too many login attempts: try again in 1 s"):
        credentials.login("admin", "s3cret", "10.0.0.1")
    assert time.monotonic() - started < 0.5
    assert checked == ["guess"] * 4

    clock.now += 1
    assert credentials.login("admin", "s3cret", "10.0.0.1") is not None


def test_one_failing_client_does_not_delay_another_clients_login(
    credentials: auth.Credentials, clock: FakeClock
) -> None:
    throttled = 0
    for _ in range(30):
        try:
            _fail(credentials, "10.0.0.1", 1)
        except gr.Error:
            throttled += 1
            clock.now += 0.5
    assert throttled > 20
    session = credentials.login("admin", "s3cret", "10.0.0.2")
    assert session is not None and session.username == "admin"


def test_a_user_name_attacked_from_many_clients_is_backed_off(
    credentials: auth.Credentials, clock: FakeClock
) -> None:
    for client in range(4):
        _fail(credentials, f"10.0.1.{client}", 1)
    for client in ("10.0.1.9", "10.0.2.1"):
        with pytest.raises(gr.Error, match=r"try again in 1 s"):
            credentials.login("admin", "s3cret", client)
    # another user name from those clients is not held back
    _fail(credentials, "10.0.1.0", 1, user="root")
    clock.now += 1
    assert credentials.login("admin", "s3cret", "10.0.2.1") is not None


def test_a_success_resets_the_client_and_the_user_name(
    credentials: auth.Credentials, clock: FakeClock
) -> None:
    _fail(credentials, "10.0.0.1", 4)
    clock.now += 1
    assert credentials.login("admin", "s3cret", "10.0.0.1") is not None
    _fail(credentials, "10.0.0.1", 4)  # counted from zero again: no wait until the fourth
    with pytest.raises(gr.Error, match="try again in 1 s"):
        credentials.login("admin", "s3cret", "10.0.0.1")


def test_concurrent_attempts_cannot_slip_past_the_limit(
    credentials: auth.Credentials,
) -> None:
    def attempt(_: int) -> str:
        try:
            credentials.login("admin", "guess", "10.0.0.1")
        except gr.Error:
            return "throttled"
        return "checked"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(40)))
    assert outcomes.count("checked") == throttle.FREE_FAILURES + 1


def test_the_throttle_stays_bounded_and_forgets_old_entries(clock: FakeClock) -> None:
    limiter = LoginThrottle(max_entries=10, forget_after_s=60, clock=clock)
    for client in range(100):
        assert limiter.admit(f"10.0.3.{client}", f"user{client}") == 0
        assert len(limiter) <= 10
    for _ in range(4):
        limiter.admit("10.0.0.1", "admin")
    assert limiter.admit("10.0.0.1", "admin") > 0
    clock.now += 61
    assert limiter.admit("10.0.0.1", "admin") == 0
    assert len(limiter) == 2
