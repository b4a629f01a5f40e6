"""Login sessions bound to an HttpOnly, SameSite=Strict cookie, kept on the server.

Gradio identifies a page only by its ``session_hash``, which travels in the queue's URLs, so
anything tied to it (``gr.State`` included) belongs to whoever sends that hash. A login
session is therefore a random id in a cookie that page scripts cannot read:

1. the login handler checks the credentials and answers a one-time *grant* (short-lived,
   redeemable only from the address that logged in);
2. the page posts the grant to ``POST /auth/session``, which answers with the session cookie;
3. every handler (see :meth:`UserSessions.with_caller` and :meth:`UserSessions.required`)
   looks the cookie of its request up here, expiry included, and gets the
   :class:`~mexma_search.app.access.Caller` of the session's user as of now (or the anonymous
   reader, or a refusal);
4. ``POST /auth/logout`` (and the logout handler) forget the session and clear the cookie.
"""

from __future__ import annotations

import inspect
import secrets
import threading
import time
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import gradio as gr
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mexma_search.app.access import Caller, Role
from mexma_search.webapp.auth import UserSession, client_host
from mexma_search.webapp.errors import shows_errors
from mexma_search.webapp.formatting import ui_error

COOKIE = "mexma_session"
SESSION_PATH = "/auth/session"
LOGOUT_PATH = "/auth/logout"
GRANT_SECONDS = 30.0
MAX_GRANT_CHARS = 128

R = TypeVar("R")
# how a wrapped handler's failure reaches the user (see mexma_search.webapp.errors)
ErrorPolicy = Callable[[Callable[..., Any]], Callable[..., Any]]
# a user name -> what that user may do now (None: no such user any more)
CallerLookup = Callable[[str], Caller | None]
# the caller of a request without a session (None: such requests are refused)
AnonymousCaller = Callable[[], Caller | None]
# whom the page shows lists to when the request has no caller: nothing is readable
NOBODY = Caller(name="nobody", role=Role.READER, readable=frozenset(), writable=frozenset())

# Runs in the page before the admin panel opens (inputs: the grant and the picked job; what it
# returns is what the handler gets): trades the login's grant for the cookie. Relative URLs,
# so the app also works under a proxy's path prefix.
REDEEM_GRANT_JS = f"""
async (grant, picked) => {{
    await fetch("{SESSION_PATH.lstrip("/")}", {{
        method: "POST",
        headers: {{"Content-Type": "application/json"}},
        body: JSON.stringify({{grant}}),
    }});
    return ["", picked];
}}
"""
LOGOUT_JS = f"""
async () => {{
    await fetch("{LOGOUT_PATH.lstrip("/")}", {{method: "POST"}});
    return [];
}}
"""


@dataclass(frozen=True)
class _Grant:
    session: UserSession
    client: str
    expires_at: float


class UserSessions:
    """Thread-safe store of login sessions, keyed by their cookie value, and the callers of
    requests (looked up with ``callers`` and ``anonymous``)."""

    def __init__(
        self,
        callers: CallerLookup,
        anonymous: AnonymousCaller,
        grant_seconds: float = GRANT_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._callers = callers
        self._anonymous = anonymous
        self._sessions: dict[str, UserSession] = {}
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()
        self._grant_seconds = grant_seconds
        self._clock = clock

    def grant(self, session: UserSession, client: str) -> str:
        """A one-time token that :meth:`redeem` turns into ``session``, for ``client`` only."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._forget_expired()
            self._grants[token] = _Grant(session, client, self._clock() + self._grant_seconds)
        return token

    def redeem(self, token: str, client: str) -> tuple[str, UserSession] | None:
        """The new session's cookie value and the session, for an unused, unexpired grant
        redeemed by the client it was made for; None otherwise (the grant is spent either way)."""
        with self._lock:
            grant = self._grants.pop(token, None)
            now = self._clock()
            if grant is None or grant.client != client or grant.expires_at <= now:
                return None
            if grant.session.expires_at <= now:
                return None
            cookie = secrets.token_urlsafe(32)
            self._sessions[cookie] = grant.session
            return cookie, grant.session

    def current(self, cookie: str | None) -> UserSession | None:
        """The valid session whose cookie value is ``cookie``; None (and forgotten) if expired."""
        if not cookie:
            return None
        with self._lock:
            session = self._sessions.get(cookie)
            if session is not None and session.expires_at <= self._clock():
                del self._sessions[cookie]
                return None
            return session

    def revoke(self, cookie: str | None) -> None:
        """Forget the session of ``cookie`` (logout)."""
        if cookie:
            with self._lock:
                self._sessions.pop(cookie, None)

    def caller(self, request: gr.Request | Request | None) -> Caller:
        """Who sent ``request``: the user of its session cookie, else the anonymous reader; a
        ``gr.Error`` when there is neither (or the user was removed)."""
        if self.current(request_cookie(request)) is None:
            anonymous = self._anonymous()
            if anonymous is None:
                raise ui_error("Log in first (on the Admin tab).")
            return anonymous
        return self.user(request)

    def user(self, request: gr.Request | Request | None) -> Caller:
        """The logged-in user who sent ``request``; a ``gr.Error`` for anyone else."""
        session = self.current(request_cookie(request))
        caller = self._callers(session.username) if session is not None else None
        if caller is None:
            raise ui_error("Your login has ended: log in again.")
        return caller

    def viewer(self, request: gr.Request | Request | None) -> Caller:
        """As :meth:`caller`, but for what a page shows on its own (lists, filter choices):
        a caller who may see nothing instead of a refusal."""
        try:
            return self.caller(request)
        except gr.Error:
            return NOBODY

    def require(self, request: gr.Request | Request | None) -> Caller:
        """The admin who sent ``request``; a ``gr.Error`` for every other caller."""
        session = self.current(request_cookie(request))
        caller = self._callers(session.username) if session is not None else None
        if caller is None or caller.role is not Role.ADMIN:
            raise ui_error("Admin login required: log in on the Admin tab.")
        return caller

    def required(
        self, handler: Callable[..., R], errors: ErrorPolicy = shows_errors
    ) -> Callable[..., R]:
        """``handler(caller, *inputs)`` as a Gradio handler of ``inputs`` that runs only for
        an admin's request (by its session cookie), and gets that admin; ``errors`` decides
        how a failure (a refusal included) reaches the user."""
        return self._wrap(handler, self.require, errors)

    def with_caller(
        self, handler: Callable[..., R], errors: ErrorPolicy = shows_errors
    ) -> Callable[..., R]:
        """``handler(caller, *inputs)`` as a Gradio handler of ``inputs`` that gets the
        request's caller (see :meth:`caller`)."""
        return self._wrap(handler, self.caller, errors)

    def with_user(
        self, handler: Callable[..., R], errors: ErrorPolicy = shows_errors
    ) -> Callable[..., R]:
        """``handler(caller, *inputs)`` as a Gradio handler that runs only for a logged-in
        user's request (see :meth:`user`)."""
        return self._wrap(handler, self.user, errors)

    def with_viewer(
        self, handler: Callable[..., R], errors: ErrorPolicy = shows_errors
    ) -> Callable[..., R]:
        """``handler(caller, *inputs)`` as a Gradio handler that gets the request's viewer
        (see :meth:`viewer`)."""
        return self._wrap(handler, self.viewer, errors)

    @staticmethod
    def _wrap(
        handler: Callable[..., R],
        resolve: Callable[[gr.Request], Caller],
        errors: ErrorPolicy,
    ) -> Callable[..., R]:
        @errors
        def checked(request: gr.Request, *inputs: Any) -> R:
            return handler(resolve(request), *inputs)

        # Gradio passes the request to a first parameter annotated gr.Request
        inputs = list(inspect.signature(handler).parameters.values())[1:]
        request = inspect.Parameter(
            "request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=gr.Request
        )
        checked.__signature__ = inspect.Signature([request, *inputs])  # type: ignore[attr-defined]
        # and recognises the other special parameters (gr.EventData, ...) by their type hints
        hints = typing.get_type_hints(handler)
        checked.__annotations__ = {
            "request": gr.Request,
            **{p.name: hints[p.name] for p in inputs if p.name in hints},
        }
        checked.__name__ = getattr(handler, "__name__", "checked")
        checked.__doc__ = handler.__doc__
        return checked

    def routes(self) -> list[BaseRoute]:
        """``POST /auth/session`` (grant for cookie) and ``POST /auth/logout``."""
        return [
            Route(SESSION_PATH, self._open, methods=["POST"]),
            Route(LOGOUT_PATH, self._close, methods=["POST"]),
        ]

    async def _open(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        token = body.get("grant") if isinstance(body, dict) else None
        if not isinstance(token, str) or len(token) > MAX_GRANT_CHARS:
            return Response("bad request", status_code=400)
        redeemed = self.redeem(token, client_host(request))
        if redeemed is None:
            return Response("login expired: log in again", status_code=403)
        cookie, session = redeemed
        response = Response(status_code=204)
        response.set_cookie(
            COOKIE,
            cookie,
            max_age=max(int(session.expires_at - self._clock()), 1),
            path="/",
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )
        return response

    async def _close(self, request: Request) -> Response:
        self.revoke(request.cookies.get(COOKIE))
        response = Response(status_code=204)
        response.delete_cookie(
            COOKIE,
            path="/",
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )
        return response

    def _forget_expired(self) -> None:
        now = self._clock()
        for token in [t for t, grant in self._grants.items() if grant.expires_at <= now]:
            del self._grants[token]
        for cookie in [c for c, session in self._sessions.items() if session.expires_at <= now]:
            del self._sessions[cookie]


def request_cookie(request: gr.Request | Request | None) -> str | None:
    """The session cookie ``request`` carries, if any."""
    cookies = getattr(request, "cookies", None) if request is not None else None
    value = cookies.get(COOKIE) if cookies is not None else None
    return value if isinstance(value, str) else None
