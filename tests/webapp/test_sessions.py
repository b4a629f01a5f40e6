"""Login sessions: one-time grants traded for a cookie, checked (with expiry) on the server,
and the caller each request gets: the session's user as of now, the anonymous reader, or a
refusal."""

from __future__ import annotations

import inspect
from types import SimpleNamespace
from typing import Any

import gradio as gr
import pytest
from fake_clock import FakeClock

from mexma_search.app.access import Caller, Role
from mexma_search.webapp.auth import UserSession
from mexma_search.webapp.sessions import COOKIE, NOBODY, UserSessions

READER = Caller("rita", Role.READER, readable=frozenset({"a"}), writable=frozenset())
ANONYMOUS = Caller("anonymous", Role.READER, readable=frozenset({"public"}))


@pytest.fixture
def accounts() -> dict[str, Caller]:
    """The users the sessions look up (a test may change or remove one)."""
    return {"admin": Caller("admin", Role.ADMIN), "rita": READER}


@pytest.fixture
def sessions(clock: FakeClock, accounts: dict[str, Caller]) -> UserSessions:
    return UserSessions(accounts.get, lambda: None, grant_seconds=30, clock=clock)


def _request(cookie: str | None) -> Any:
    return SimpleNamespace(cookies={COOKIE: cookie} if cookie else {})


def _log_in(
    sessions: UserSessions, clock: FakeClock, lifetime_s: float = 3600, user: str = "admin"
) -> str:
    grant = sessions.grant(UserSession(user, clock.now + lifetime_s), "10.0.0.1")
    redeemed = sessions.redeem(grant, "10.0.0.1")
    assert redeemed is not None
    return redeemed[0]


def test_a_grant_is_redeemed_once_by_its_own_client_before_it_expires(
    sessions: UserSessions, clock: FakeClock
) -> None:
    session = UserSession("admin", clock.now + 3600)
    grant = sessions.grant(session, "10.0.0.1")
    assert sessions.redeem(grant, "10.0.0.2") is None, "another address"
    assert sessions.redeem(grant, "10.0.0.1") is None, "spent by the refused attempt"

    grant = sessions.grant(session, "10.0.0.1")
    redeemed = sessions.redeem(grant, "10.0.0.1")
    assert redeemed is not None and redeemed[1] == session
    assert sessions.current(redeemed[0]) == session
    assert sessions.redeem(grant, "10.0.0.1") is None, "used twice"

    late = sessions.grant(session, "10.0.0.1")
    clock.now += 31
    assert sessions.redeem(late, "10.0.0.1") is None


def test_a_session_ends_at_its_expiry_or_at_logout(
    sessions: UserSessions, clock: FakeClock
) -> None:
    expiring = _log_in(sessions, clock, lifetime_s=60)
    kept = _log_in(sessions, clock)
    assert expiring != kept
    clock.now += 61
    assert sessions.current(expiring) is None
    assert sessions.current(kept) is not None
    sessions.revoke(kept)
    assert sessions.current(kept) is None
    assert sessions.current(None) is None and sessions.current("forged") is None


def test_required_handlers_get_the_cookies_session_and_refuse_others(
    sessions: UserSessions, clock: FakeClock
) -> None:
    calls: list[tuple[str, int]] = []

    def handler(caller: Caller, value: int) -> int:
        calls.append((caller.name, value))
        return value * 2

    checked = sessions.required(handler)
    # Gradio passes the request to the parameter annotated gr.Request, the inputs after it
    parameters = inspect.signature(checked).parameters
    assert list(parameters) == ["request", "value"]
    assert checked.__annotations__["request"] is gr.Request

    cookie = _log_in(sessions, clock)
    # refused: a toast (a warning outside a running app) and no output changed
    for refused in (None, "forged", ""):
        with pytest.warns(UserWarning, match="Admin login required"):
            assert checked(_request(refused), 1) == gr.skip()
    assert calls == []
    assert checked(_request(cookie), 21) == 42
    assert calls == [("admin", 21)]
    sessions.revoke(cookie)
    with pytest.warns(UserWarning, match="Admin login required"):
        assert checked(_request(cookie), 1) == gr.skip()


def test_required_handlers_follow_the_users_role_as_of_now(
    sessions: UserSessions, clock: FakeClock, accounts: dict[str, Caller]
) -> None:
    checked = sessions.required(lambda caller, value: value)
    reader = _log_in(sessions, clock, user="rita")
    with pytest.warns(UserWarning, match="Admin login required"):
        assert checked(_request(reader), 1) == gr.skip()
    admin = _log_in(sessions, clock)
    assert checked(_request(admin), 7) == 7
    accounts["admin"] = Caller("admin", Role.EDITOR)  # demoted while logged in
    with pytest.warns(UserWarning, match="Admin login required"):
        assert checked(_request(admin), 1) == gr.skip()
    del accounts["admin"]  # removed while logged in
    with pytest.warns(UserWarning, match="Admin login required"):
        assert checked(_request(admin), 1) == gr.skip()


def test_callers_are_the_sessions_user_else_the_anonymous_reader_if_allowed(
    clock: FakeClock, accounts: dict[str, Caller]
) -> None:
    closed = UserSessions(accounts.get, lambda: None, clock=clock)
    open_ = UserSessions(accounts.get, lambda: ANONYMOUS, clock=clock)
    for sessions in (closed, open_):
        cookie = _log_in(sessions, clock, user="rita")
        assert sessions.caller(_request(cookie)) == READER
        assert sessions.user(_request(cookie)) == READER
        with pytest.raises(gr.Error, match="log in again"):
            sessions.user(_request(None))
    assert open_.caller(_request(None)) == ANONYMOUS
    assert open_.caller(_request("forged")) == ANONYMOUS
    with pytest.raises(gr.Error, match="Log in first"):
        closed.caller(_request(None))
    assert closed.viewer(_request(None)) == NOBODY and NOBODY.readable == frozenset()


def test_wrapped_handlers_keep_their_special_parameters(sessions: UserSessions) -> None:
    def handler(caller: Caller, query: str, event: gr.EventData) -> str:
        return query

    wrapped = sessions.with_caller(handler)
    assert list(inspect.signature(wrapped).parameters) == ["request", "query", "event"]
    assert wrapped.__annotations__["event"] is gr.EventData
