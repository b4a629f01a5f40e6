"""Admin credentials: configured or generated once (hash kept 0600), checked on the server,
with failed logins throttled per client and per user name."""

from __future__ import annotations

import json
import re
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gradio as gr
import pytest
from fake_clock import FakeClock

from mexma_search.app.settings import Settings
from mexma_search.webapp import auth, throttle
from mexma_search.webapp.throttle import LoginThrottle


def test_a_generated_password_is_announced_once_and_stays_valid(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    announced: list[str] = []
    first = auth.Credentials.from_settings(settings, announced.append)
    (message,) = announced
    password = re.search(r"password '([^']+)'", message)
    assert password is not None
    again = auth.Credentials.from_settings(settings, announced.append)
    assert len(announced) == 1, "the password is shown only when it is generated"
    for credentials in (first, again):
        assert credentials.login("admin", password.group(1)) is not None
        assert credentials.login("admin", "guess") is None

    path = tmp_path / auth.PASSWORD_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = path.read_text()
    assert password.group(1) not in stored and json.loads(stored)["algorithm"] == "scrypt"


def test_a_configured_password_wins_and_nothing_is_written(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, admin_username="root", admin_password="s3cret")
    credentials = auth.Credentials.from_settings(settings, pytest.fail)
    session = credentials.login("root", "s3cret")
    assert session is not None and session.username == "root"
    assert session.expires_at > time.time() + 3600
    assert credentials.login("admin", "s3cret") is None
    assert credentials.login("root", "S3cret") is None
    assert not (tmp_path / auth.PASSWORD_FILE).exists()


def test_password_hashes_are_salted_and_verified() -> None:
    first, second = auth.hash_password("pw"), auth.hash_password("pw")
    assert first["hash"] != second["hash"]
    assert auth.verify_password("pw", first) and not auth.verify_password("pw2", first)


@pytest.fixture
def credentials(clock: FakeClock) -> auth.Credentials:
    """Credentials for admin / s3cret whose throttle runs on ``clock``."""
    return auth.Credentials(
        "admin", lambda password: password == "s3cret", LoginThrottle(clock=clock)
    )


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

    def check(password: str) -> bool:
        checked.append(password)
        return password == "s3cret"

    credentials = auth.Credentials("admin", check, LoginThrottle(clock=clock))
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
