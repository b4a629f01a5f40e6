"""The admin session lives in an HttpOnly, SameSite cookie checked on the server: replaying a
logged-in page's session_hash without that cookie gets nothing (tiny app)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from refusals import refused

from mexma_search.webapp.sessions import COOKIE

NewSession = Callable[..., Any]
# every admin event with inputs that pass Gradio's own checks on a fresh page
ADMIN_CALLS: list[tuple[str, list[Any]]] = [
    ("admin_open", ["", None]),
    ("admin_refresh", [None]),
    ("admin_show_job", [None]),
    ("admin_cancel", [None]),
    ("admin_promote", [None]),
    ("admin_add_user", ["mallory", "a long password", "admin"]),
    ("admin_set_role", ["admin", "", "reader"]),
    ("admin_reset_password", ["admin", "a long password", "admin"]),
    ("admin_remove_user", ["admin", "", "admin"]),
    ("admin_grant", ["default", "mallory", "write"]),
    ("admin_make_public", ["default", "", "read"]),
    ("admin_add_group", ["crew", ""]),
    ("admin_add_member", ["crew", "admin"]),
    ("admin_validate_bitext", [None, "", "", "", "", *[None] * 40]),
    ("admin_start_training", [None, "", "", "", "", None, *[None] * 40]),
]


def _refused(message: dict[str, Any]) -> bool:
    """Refused as an admin event (admin_open, for any user, asks to log in again)."""
    return refused(message) or refused(message, "log in again")


@pytest.fixture
def admin(new_session: NewSession, admin_password: str) -> Any:
    """A raw client logged in as the page logs in (its cookie jar holds the session cookie)."""
    session = new_session()
    assert session.call("on_load", [])["success"] is True
    assert session.log_in(admin_password)["success"] is True
    return session


def _inputs(client: Any, name: str, data: list[Any]) -> list[Any]:
    """``data`` cut to the number of inputs the event takes."""
    (dependency,) = [d for d in client.config["dependencies"] if d.get("api_name") == name]
    return data[: len(dependency["inputs"])]


def test_the_cookie_is_http_only_strict_and_scoped_to_the_site(
    new_session: NewSession, admin_password: str
) -> None:
    session = new_session()
    grant = session.call("admin_login", ["admin", admin_password])["output"]["data"][0]
    answer = session.redeem(grant)
    assert answer.status_code == 204
    header = answer.headers["set-cookie"]
    assert header.startswith(f"{COOKIE}=")
    attributes = {part.strip().split("=")[0].lower() for part in header.split(";")}
    assert {"httponly", "path", "max-age"} <= attributes
    assert "samesite=strict" in header.lower() and "path=/" in header.lower()
    assert "secure" not in attributes, "plain http on localhost"
    # a grant is good once
    assert session.redeem(grant).status_code == 403


def test_a_replayed_session_hash_without_the_cookie_is_refused_everywhere(
    admin: Any, new_session: NewSession
) -> None:
    assert admin.call("admin_refresh", [None])["success"] is True
    intruder = new_session()
    intruder.session_hash = admin.session_hash  # as sent in the queue's URLs
    for name, data in ADMIN_CALLS:
        assert _refused(intruder.call(name, _inputs(intruder, name, data))), name
    # a forged cookie does not help either
    intruder.http.cookies.set(COOKIE, "forged")
    assert _refused(intruder.call("admin_refresh", [None]))
    assert admin.call("admin_refresh", [None])["success"] is True


def test_a_grant_is_redeemed_only_from_the_address_that_logged_in(
    new_session: NewSession, admin_password: str
) -> None:
    session = new_session("10.7.0.1")
    grant = session.call("admin_login", ["admin", admin_password])["output"]["data"][0]
    elsewhere = new_session("10.7.0.2")
    assert elsewhere.redeem(grant).status_code == 403
    assert "set-cookie" not in elsewhere.redeem("not a grant").headers


def test_after_logout_the_cookie_isrefused(admin: Any, admin_password: str) -> None:
    assert admin.call("admin_logout", [])["success"] is True
    assert _refused(admin.call("admin_refresh", [None])), "the logout event forgets the session"

    assert admin.log_in(admin_password)["success"] is True
    cookie = admin.http.cookies[COOKIE]
    answer = admin.log_out()
    assert answer.status_code == 204 and "max-age=0" in answer.headers["set-cookie"].lower()
    assert COOKIE not in admin.http.cookies
    admin.http.cookies.set(COOKIE, cookie)  # kept by a client that ignores the clearing
    assert _refused(admin.call("admin_refresh", [None])), "the logout route forgets it too"
