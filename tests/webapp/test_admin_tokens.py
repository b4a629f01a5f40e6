"""The Admin tab's API tokens over Gradio's queue protocol: create (the token works on the
API at once), list, revoke (refused from then on), and nothing without the admin login."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from refusals import refused

from mexma_search.webapp.tokens_panel import TOKEN_COLUMNS


def _rows(message: dict[str, Any], index: int) -> list[list[Any]]:
    assert message["success"] is True, message
    table = message["output"]["data"][index]
    assert table["headers"] == TOKEN_COLUMNS
    return list(table["data"])


def test_an_admin_creates_lists_and_revokes_a_token(
    new_session: Callable[[], Any], admin_password: str, tiny_app: Any
) -> None:
    session = new_session()
    assert session.log_in(admin_password)["success"] is True
    created = session.call("admin_create_token", ["exporter", "write", 30])
    secret = created["output"]["data"][0]
    rows = _rows(created, 1)
    token_id, name, user, scope, state = rows[0][:5]
    assert (name, user, scope, state) == ("exporter", "admin", "write", "active")
    assert secret.startswith(rows[0][5].rstrip("…"))
    assert all(secret not in str(cell) for row in rows for cell in row)

    api = f"{tiny_app.url.rstrip('/')}/api/documents"
    headers = {"Authorization": f"Bearer {secret}"}
    assert httpx.get(api, headers=headers).status_code == 200
    assert _rows(session.call("admin_tokens", []), 0)[0][0] == token_id

    revoked = session.call("admin_revoke_token", [token_id])
    assert _rows(revoked, 0)[0][4] == "revoked"
    assert httpx.get(api, headers=headers).status_code == 401
    again = session.call("admin_revoke_token", [token_id])
    assert refused(again, "no active token")
    bad = session.call("admin_create_token", ["", "read", None])
    assert refused(bad, "token name")


def test_token_handlers_refuse_a_session_without_login(
    new_session: Callable[[], Any], tiny_app: Any
) -> None:
    before = tiny_app.services.tokens.list_tokens()
    session = new_session()
    for name, data in [
        ("admin_tokens", []),
        ("admin_create_token", ["sneaky", "admin", None]),
        ("admin_revoke_token", [1]),
    ]:
        message = session.call(name, data)
        assert refused(message), message
    assert tiny_app.services.tokens.list_tokens() == before
