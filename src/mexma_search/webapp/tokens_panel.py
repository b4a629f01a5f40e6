"""The Admin tab's API tokens: create one (shown once), list them, revoke one.

Every handler goes through the admin session check; a token acts for the admin who created it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import gradio as gr

from mexma_search.app.access import Caller
from mexma_search.app.api_tokens import ApiTokenInfo, TokenScope
from mexma_search.app.services import Services
from mexma_search.webapp import formatting
from mexma_search.webapp.sessions import UserSessions

PRIVATE: dict[str, Any] = {"api_visibility": "private"}
TOKEN_COLUMNS = ["Id", "Name", "User", "Scope", "State", "Starts with", "Expires", "Last used"]


def _when(moment: datetime | None, absent: str) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else absent


def token_rows(tokens: list[ApiTokenInfo]) -> list[list[Any]]:
    """The tokens as table rows (``TOKEN_COLUMNS``)."""
    return [
        [
            t.id,
            t.name,
            t.user_name,
            t.scope,
            t.state(),
            f"{t.prefix}…",
            _when(t.expires_at, "never"),
            _when(t.last_used_at, "never"),
        ]
        for t in tokens
    ]


class TokensPanel:
    """Builds the API tokens section and wires it to the services."""

    def __init__(self, services: Services, sessions: UserSessions) -> None:
        self.services = services
        self.sessions = sessions

    def build(self) -> None:
        gr.Markdown(
            "Programs use the HTTP API (docs at `/api/docs`) with a bearer token. Scopes: "
            "**read** (search, read documents and jobs), **write** (also upload, delete, "
            "cancel), **admin** (also promote models). A token is shown once, when created."
        )
        with gr.Row(equal_height=True):
            self.name = gr.Textbox(label="Token name", placeholder="e.g. nightly export", scale=3)
            self.scope = gr.Dropdown(
                label="Scope", choices=[s.value for s in TokenScope], value="read", scale=1
            )
            self.days = gr.Number(label="Expires after (days, empty: never)", precision=0, scale=1)
            self.create_button = gr.Button("Create token", variant="primary", scale=1)
        self.secret = gr.Textbox(
            label="New token (copy it now: it is not shown again)",
            interactive=False,
            buttons=["copy"],
            elem_id="admin-new-token",
        )
        self.table = gr.Dataframe(headers=TOKEN_COLUMNS, interactive=False, elem_id="admin-tokens")
        with gr.Row(equal_height=True):
            self.token_id = gr.Number(label="Token id", precision=0, scale=3)
            self.revoke_button = gr.Button("Revoke token", variant="stop", scale=1)

    def wire(self, tab: gr.Tab) -> None:
        required = self.sessions.required
        tab.select(required(self.listing), outputs=self.table, api_name="admin_tokens", **PRIVATE)
        self.create_button.click(
            required(self.create),
            inputs=[self.name, self.scope, self.days],
            outputs=[self.secret, self.table],
            api_name="admin_create_token",
            **PRIVATE,
        )
        self.revoke_button.click(
            required(self.revoke),
            inputs=self.token_id,
            outputs=self.table,
            api_name="admin_revoke_token",
            **PRIVATE,
        )

    def listing(self, caller: Caller) -> list[list[Any]]:
        """The tokens, newest first."""
        return token_rows(self.services.tokens.list_tokens())

    def create(
        self, caller: Caller, name: str, scope: str, days: float | None
    ) -> tuple[str, list[list[Any]]]:
        """A new token for the logged-in admin; the token, and the refreshed list."""
        try:
            created = self.services.tokens.create(
                name or "", caller.name, scope, expires_in_days=days or None
            )
        except ValueError as exc:
            raise formatting.ui_error(str(exc)) from exc
        gr.Info(f"Token {created.info.id} created: copy it now.")
        return created.secret, self.listing(caller)

    def revoke(self, caller: Caller, token_id: float | None) -> list[list[Any]]:
        """Revoke a token; the refreshed list."""
        if token_id is None:
            raise formatting.ui_error("Give the id of the token to revoke.")
        if not self.services.tokens.revoke(int(token_id)):
            raise formatting.ui_error(f"There is no active token {int(token_id)}.")
        gr.Info(f"Token {int(token_id)} revoked.")
        return self.listing(caller)
