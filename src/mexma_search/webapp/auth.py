"""Admin login for the web UI.

Model: searching and uploading are open to whoever reaches the app (it binds to 127.0.0.1 by
default); everything else (training, promoting, cancelling, deleting) needs the admin login.
A successful login makes an :class:`AdminSession`, which
:class:`mexma_search.webapp.sessions.AdminSessions` binds to an HttpOnly cookie; every admin
handler checks that cookie on the server, whichever way it was called.

Credentials: ``settings.admin_username`` with ``settings.admin_password`` when set. Without a
password, the first start generates one, prints it once, and keeps only its scrypt hash in
``<data_dir>/admin-password.json`` (mode 0600), so it stays valid across restarts; delete that
file to get a new one.

Guessing is slowed by :class:`mexma_search.webapp.throttle.LoginThrottle`: a throttled attempt is
refused at once, without checking the password (nothing waits while holding a queue slot).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.requests import Request

from mexma_search.app.settings import Settings
from mexma_search.webapp.formatting import ui_error
from mexma_search.webapp.throttle import LoginThrottle, retry_message

PASSWORD_FILE = "admin-password.json"
SESSION_SECONDS = 12 * 3600
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


@dataclass(frozen=True)
class AdminSession:
    """A logged-in admin until ``expires_at`` (``time.time()`` seconds)."""

    username: str
    expires_at: float


def hash_password(password: str, salt: bytes | None = None) -> dict[str, Any]:
    """An scrypt record of ``password`` (JSON-ready)."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return {"algorithm": "scrypt", **_SCRYPT, "salt": salt.hex(), "hash": digest.hex()}


def verify_password(password: str, record: dict[str, Any]) -> bool:
    """True when ``password`` matches an scrypt record from :func:`hash_password`."""
    digest = hashlib.scrypt(
        password.encode(),
        salt=bytes.fromhex(record["salt"]),
        n=int(record["n"]),
        r=int(record["r"]),
        p=int(record["p"]),
    )
    return hmac.compare_digest(digest.hex(), record["hash"])


def _write_private(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)


class AdminCredentials:
    """Checks admin logins against the configured or the generated password."""

    def __init__(
        self,
        username: str,
        check_password: Callable[[str], bool],
        throttle: LoginThrottle | None = None,
    ) -> None:
        self.username = username
        self._check_password = check_password
        self.throttle = throttle if throttle is not None else LoginThrottle()

    @classmethod
    def from_settings(
        cls, settings: Settings, announce: Callable[[str], None] = print
    ) -> AdminCredentials:
        """Credentials from ``settings``; generates (and ``announce``s once) a password when
        none is configured and none was generated before."""
        if settings.admin_password is not None:
            expected = settings.admin_password.get_secret_value().encode()
            return cls(
                settings.admin_username,
                lambda password: hmac.compare_digest(password.encode(), expected),
            )
        path = settings.data_dir / PASSWORD_FILE
        if not path.exists():
            password = secrets.token_urlsafe(12)
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            _write_private(path, json.dumps(hash_password(password)))
            announce(
                f"Admin login for the web UI: user {settings.admin_username!r}, password "
                f"{password!r}\n(generated now and shown only once; its hash is in {path}. "
                "Set MEXMA_ADMIN_PASSWORD to choose one, or delete that file for a new one.)"
            )
        record = json.loads(path.read_text(encoding="utf-8"))
        return cls(settings.admin_username, lambda password: verify_password(password, record))

    def login(self, username: str, password: str, client: str = "local") -> AdminSession | None:
        """A session for correct credentials, None for wrong ones; a ``gr.Error`` saying when to
        retry, without checking anything, while ``client`` or ``username`` is throttled."""
        wait_s = self.throttle.admit(client, username)
        if wait_s > 0:
            raise ui_error(retry_message(wait_s))
        # evaluate both checks so a wrong user name takes as long as a wrong password
        user_ok = hmac.compare_digest(username.strip().encode(), self.username.encode())
        password_ok = self._check_password(password)
        if not (user_ok and password_ok):
            return None
        self.throttle.succeeded(client, username)
        return AdminSession(self.username, time.time() + SESSION_SECONDS)


def client_host(request: gr.Request | Request | None) -> str:
    """The address ``request`` came from, as the server sees it (uvicorn takes it from
    ``X-Forwarded-For`` only when a trusted local proxy sends that header)."""
    client = getattr(request, "client", None)
    return str(client.host) if client is not None else "unknown"
