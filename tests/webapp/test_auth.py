"""Admin credentials: configured or generated once (hash kept 0600), checked on the server."""

from __future__ import annotations

import json
import re
import stat
import time
from pathlib import Path

import gradio as gr
import pytest

from mexma_search.app.settings import Settings
from mexma_search.webapp import auth


@pytest.fixture(autouse=True)
def _no_login_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "FAILED_LOGIN_DELAY_S", 0.0)


def test_a_generated_password_is_announced_once_and_stays_valid(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    announced: list[str] = []
    first = auth.AdminCredentials.from_settings(settings, announced.append)
    (message,) = announced
    password = re.search(r"password '([^']+)'", message)
    assert password is not None
    again = auth.AdminCredentials.from_settings(settings, announced.append)
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
    credentials = auth.AdminCredentials.from_settings(settings, pytest.fail)
    session = credentials.login("root", "s3cret")
    assert session is not None and session.username == "root" and session.valid
    assert credentials.login("admin", "s3cret") is None
    assert credentials.login("root", "S3cret") is None
    assert not (tmp_path / auth.PASSWORD_FILE).exists()


def test_password_hashes_are_salted_and_verified() -> None:
    first, second = auth.hash_password("pw"), auth.hash_password("pw")
    assert first["hash"] != second["hash"]
    assert auth.verify_password("pw", first) and not auth.verify_password("pw2", first)


def test_admin_required_refuses_missing_forged_and_expired_sessions() -> None:
    calls: list[int] = []

    @auth.admin_required
    def handler(session: auth.AdminSession | None, value: int) -> int:
        calls.append(value)
        return value * 2

    for bad in (None, {"username": "admin"}, auth.AdminSession("admin", time.time() - 1)):
        with pytest.raises(gr.Error, match="Admin login required"):
            handler(bad, 1)
    assert calls == []
    assert handler(auth.AdminSession("admin", time.time() + 60), 21) == 42
    assert calls == [21]
