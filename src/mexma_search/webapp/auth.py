"""Logins for the web UI.

Model: a visitor who is not logged in may search the public collections when
``anonymous_read`` is on; a logged-in user reads and writes what their role and grants allow
(see :mod:`mexma_search.app.users`), and only admins train, promote, cancel jobs and manage
users. A successful login makes a :class:`UserSession`, which
:class:`mexma_search.webapp.sessions.UserSessions` binds to an HttpOnly cookie; every handler
resolves its caller from that cookie on the server, whichever way it was called.

Guessing is slowed by :class:`mexma_search.webapp.throttle.LoginThrottle`: a throttled attempt is
refused at once, without checking the password (nothing waits while holding a queue slot).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import gradio as gr
from starlette.requests import Request

from mexma_search.webapp.formatting import ui_error
from mexma_search.webapp.throttle import LoginThrottle, retry_message

SESSION_SECONDS = 12 * 3600

# (user name, password) -> the user's name when the password is theirs, else None
Authenticate = Callable[[str, str], str | None]


@dataclass(frozen=True)
class UserSession:
    """A logged-in user until ``expires_at`` (``time.time()`` seconds); what they may do is
    looked up at every request, so a new role or grant applies at once."""

    username: str
    expires_at: float


class Credentials:
    """Checks logins against the accounts, throttling repeated failures."""

    def __init__(self, authenticate: Authenticate, throttle: LoginThrottle | None = None) -> None:
        self._authenticate = authenticate
        self.throttle = throttle if throttle is not None else LoginThrottle()

    def login(self, username: str, password: str, client: str = "local") -> UserSession | None:
        """A session for correct credentials, None for wrong ones; a ``gr.Error`` saying when to
        retry, without checking anything, while ``client`` or ``username`` is throttled."""
        wait_s = self.throttle.admit(client, username)
        if wait_s > 0:
            raise ui_error(retry_message(wait_s))
        name = self._authenticate(username, password)
        if name is None:
            return None
        self.throttle.succeeded(client, username)
        return UserSession(name, time.time() + SESSION_SECONDS)


def client_host(request: gr.Request | Request | None) -> str:
    """The address ``request`` came from, as the server sees it (uvicorn takes it from
    ``X-Forwarded-For`` only when a trusted local proxy sends that header)."""
    client = getattr(request, "client", None)
    return str(client.host) if client is not None else "unknown"
