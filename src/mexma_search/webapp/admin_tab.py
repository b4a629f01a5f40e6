"""The Admin tab: login for every user, then, for admins, training, jobs (live view with
progress, ETA, loss and dev evaluation curves, the before/after table, cancel), model versions
(promote), users and collection access. Logging in also shows the admin-only parts of other
tabs (``admin_only``: translation-memory mining and alignment).

Showing or hiding the admin panel is cosmetic: every admin handler here goes through
:meth:`mexma_search.webapp.sessions.UserSessions.required`, which checks on the server that the
request's session cookie belongs to a user who is an admin now.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gradio as gr

from mexma_search.app.access import Caller, Role
from mexma_search.app.services import Services
from mexma_search.webapp import formatting, limits
from mexma_search.webapp.auth import Credentials, client_host
from mexma_search.webapp.confirm import Confirmation
from mexma_search.webapp.errors import raises_errors, shows_errors
from mexma_search.webapp.jobs_panel import JobsPanel
from mexma_search.webapp.sessions import LOGOUT_JS, REDEEM_GRANT_JS, UserSessions, request_cookie
from mexma_search.webapp.tokens_panel import TokensPanel
from mexma_search.webapp.training_panel import TrainingPanel
from mexma_search.webapp.users_panel import UsersPanel

REFRESH_SECONDS = 2.0
PRIVATE: dict[str, Any] = {"api_visibility": "private"}


class AdminTab:
    """Builds the tab's components and wires them to the services."""

    def __init__(
        self,
        services: Services,
        credentials: Credentials,
        sessions: UserSessions,
        admin_only: Sequence[gr.Column] = (),
    ) -> None:
        self.services = services
        self.admin_only = list(admin_only)
        self.credentials = credentials
        self.sessions = sessions
        self.training = TrainingPanel(services, sessions, self.follow_job)
        self.jobs = JobsPanel(services, sessions)
        self.users = UsersPanel(services, sessions)
        self.tokens = TokensPanel(services, sessions)

    def build(self) -> None:
        with gr.Column(visible=True, elem_id="admin-login") as self.login_box:
            gr.Markdown(
                "Log in to read the collections opened to you, to upload (editors) or to "
                "run the app (admins: training, models, jobs, users and access)."
            )
            self.username = gr.Textbox(label="User", elem_id="admin-user")
            self.password = gr.Textbox(label="Password", type="password", elem_id="admin-password")
            self.login_button = gr.Button("Log in", variant="primary", elem_id="admin-login-button")
            # the login's one-time grant, which the page trades for the session cookie
            self.grant = gr.Textbox(visible=False)
        with gr.Column(visible=False, elem_id="admin-panel") as self.panel:
            with gr.Row(equal_height=True):
                self.whoami = gr.Markdown()
                self.logout_button = gr.Button("Log out", scale=0)
            self.timer = gr.Timer(REFRESH_SECONDS, active=False)
            with gr.Tabs(visible=False) as self.tabs:
                with gr.Tab("Training", id="training"):
                    self.training.build()
                with gr.Tab("Jobs", id="jobs"):
                    self.jobs.build()
                with gr.Tab("Models", id="models"):
                    self._build_models()
                with gr.Tab("Users", id="users"):
                    self.users.build()
                with gr.Tab("API tokens", id="tokens") as self.tokens_tab:
                    self.tokens.build()
        self._wire()

    def _build_models(self) -> None:
        self.models_table = gr.Dataframe(
            headers=formatting.MODEL_COLUMNS,
            interactive=False,
            wrap=True,
            column_widths=formatting.MODEL_COLUMN_WIDTHS,
            elem_id="admin-models",
        )
        with gr.Row(equal_height=True):
            self.model = gr.Dropdown(label="Model version", choices=[], scale=4)
            self.promote_button = gr.Button(
                "Promote (re-index)", variant="primary", scale=1, elem_id="admin-promote"
            )
        self.confirm_promote = Confirmation("admin-confirm-promote", "Promote")
        gr.Markdown(
            "Promoting re-embeds every passage with the chosen model into a new index, then "
            "switches search to it; the previous model stays registered for a rollback. "
            "Follow the re-index job in the Jobs tab."
        )

    @property
    def follow_outputs(self) -> list[Any]:
        """What :meth:`follow_job` updates."""
        return [self.jobs.job, self.tabs, *self.jobs.view_outputs]

    @property
    def refresh_outputs(self) -> list[Any]:
        return [
            *self.jobs.refresh_outputs,
            self.models_table,
            self.model,
        ]

    def _wire(self) -> None:
        # explicit names: the tests call these private events the way a hostile client would
        required = self.sessions.required
        self.login_button.click(
            raises_errors(self.login),
            inputs=[self.username, self.password],
            outputs=self.grant,
            api_name="admin_login",
            **limits.LOGIN,
            **PRIVATE,
        ).success(
            self.sessions.with_user(self.open),
            inputs=[self.grant, self.jobs.job],
            outputs=[
                self.grant,
                self.login_box,
                self.panel,
                self.whoami,
                self.timer,
                self.tabs,
                *self.admin_only,
                *self.refresh_outputs,
                *self.users.listing_outputs,
            ],
            js=REDEEM_GRANT_JS,
            api_name="admin_open",
            **PRIVATE,
        )
        self.logout_button.click(
            shows_errors(self.logout),
            outputs=[self.login_box, self.panel, self.timer, self.tabs, *self.admin_only],
            js=LOGOUT_JS,
            api_name="admin_logout",
            **PRIVATE,
        )
        self.timer.tick(
            required(self.refresh),
            inputs=self.jobs.job,
            outputs=self.refresh_outputs,
            api_name="admin_refresh",
            **limits.POLL,
            **PRIVATE,
        )
        self.jobs.wire()
        self.jobs.redraw_charts_on(self.tabs)
        self.promote_button.click(
            required(self.ask_promote),
            inputs=self.model,
            outputs=self.confirm_promote.ask_outputs,
            **PRIVATE,
        )
        self.model.change(self.confirm_promote.hide, outputs=self.confirm_promote.box, **PRIVATE)
        self.confirm_promote.on_confirm(
            required(self.promote),
            inputs=self.model,
            outputs=self.follow_outputs,
            api_name="admin_promote",
            **PRIVATE,
        )
        self.training.wire(self.follow_outputs)
        self.users.wire()
        self.tokens.wire(self.tokens_tab)

    def login(self, username: str, password: str, request: gr.Request) -> str:
        """Check the credentials on the server; on success, a grant for the session cookie."""
        client = client_host(request)
        session = self.credentials.login(username or "", password or "", client)
        if session is None:
            raise formatting.ui_error("Wrong user name or password.")
        return self.sessions.grant(session, client)

    def open(self, caller: Caller, spent_grant: str, picked: int | str | None) -> tuple[Any, ...]:
        """Open the panel once the page holds the session cookie (``spent_grant`` is what is
        left of the grant it redeemed: nothing); its admin tabs for admins only."""
        admin = caller.role is Role.ADMIN
        hidden = [gr.skip()] * (len(self.refresh_outputs) + len(self.users.listing_outputs))
        return (
            "",
            gr.Column(visible=False),
            gr.Column(visible=True),
            f"Logged in as **{caller.name}** ({caller.role.value}){_may(caller)}",
            gr.Timer(active=admin),
            gr.Tabs(visible=admin),
            *[gr.Column(visible=admin) for _ in self.admin_only],
            *((*self.refresh(caller, picked), *self.users.listing(caller)) if admin else hidden),
        )

    def logout(self, request: gr.Request) -> tuple[Any, ...]:
        """Forget the session on the server (the page's script also clears the cookie)."""
        self.sessions.revoke(request_cookie(request))
        return (
            gr.Column(visible=True),
            gr.Column(visible=False),
            gr.Timer(active=False),
            gr.Tabs(visible=False),
            *[gr.Column(visible=False) for _ in self.admin_only],
        )

    def refresh(self, caller: Caller, picked: int | str | None) -> tuple[Any, ...]:
        """The Jobs view (see :meth:`JobsPanel.refresh`) and the model versions."""
        versions = self.services.list_model_versions()
        return (
            *self.jobs.refresh(caller, picked),
            formatting.model_rows(versions),
            gr.Dropdown(choices=[v.name for v in versions if not v.live]),
        )

    def follow_job(self, caller: Caller, job_id: int) -> tuple[Any, ...]:
        """Show the Jobs tab with ``job_id`` picked and its own view at once (not the
        previously picked job's until the next refresh)."""
        return (
            self.jobs.job_choices(job_id),
            gr.Tabs(selected="jobs"),
            *self.jobs.show_job(caller, job_id),
        )

    def ask_promote(self, caller: Caller, name: str | None) -> tuple[Any, ...]:
        """Ask before promoting: the candidate's held-out error before and after training,
        and every metric that got worse."""
        if not name:
            raise ValueError("Choose a model version first.")
        versions = {version.name: version for version in self.services.list_model_versions()}
        if name not in versions:
            raise ValueError(f"There is no model version {name!r}.")
        worse = self.services.worse_metrics(name)
        return Confirmation.ask(formatting.promote_question(versions[name], worse))

    def promote(self, caller: Caller, name: str | None) -> tuple[Any, ...]:
        """Start the re-index job that makes ``name`` the live model (the admin confirmed,
        worse metrics included); follow that job."""
        if not name:
            raise formatting.ui_error("Choose a model version first.")
        try:
            job_id = self.services.promote_model(name, accept_worse=True, caller=caller)
        except (ValueError, RuntimeError) as exc:
            raise formatting.ui_error(str(exc)) from exc
        gr.Info(f"Re-index job #{job_id} started.")
        return self.follow_job(caller, job_id)


def _may(caller: Caller) -> str:
    """What a non-admin may read and write, for the line that says who is logged in."""
    if caller.readable is None:
        return ""
    readable = ", ".join(sorted(caller.readable)) or "no collection yet"
    if caller.role is not Role.EDITOR:
        return f"  \nYou may read: {readable}."
    writable = ", ".join([*sorted(caller.writable or ()), "a new collection"])
    return f"  \nYou may read: {readable}. You may add documents to: {writable}."
