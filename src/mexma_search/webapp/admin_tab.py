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
from mexma_search.app.views import JobInfo
from mexma_search.webapp import formatting, limits
from mexma_search.webapp.auth import Credentials, client_host
from mexma_search.webapp.charts import metric_chart
from mexma_search.webapp.confirm import Confirmation
from mexma_search.webapp.errors import raises_errors, shows_errors
from mexma_search.webapp.sessions import LOGOUT_JS, REDEEM_GRANT_JS, UserSessions, request_cookie
from mexma_search.webapp.tokens_panel import TokensPanel
from mexma_search.webapp.training_panel import TrainingPanel
from mexma_search.webapp.users_panel import UsersPanel

REFRESH_SECONDS = 2.0
JOBS_SHOWN = 50
LOSS_TITLE = "Training losses"
DEV_TITLE = "Held-out translation retrieval error (%)"
PRIVATE: dict[str, Any] = {"api_visibility": "private"}
MAX_JOB_DIGITS = 18  # fits a 64-bit row id


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
                    self._build_jobs()
                with gr.Tab("Models", id="models"):
                    self._build_models()
                with gr.Tab("Users", id="users"):
                    self.users.build()
                with gr.Tab("API tokens", id="tokens") as self.tokens_tab:
                    self.tokens.build()
        self._wire()

    def _build_jobs(self) -> None:
        self.queue = gr.Markdown(elem_id="admin-queue")
        with gr.Row(equal_height=True):
            # Custom values: a tick that read the job list just before a job was started
            # overwrites the picker's choices without it while the new job stays picked; with
            # strict choices every later tick would then be refused (and the view freeze).
            self.job = gr.Dropdown(
                label="Job (or type its number)",
                choices=[],
                allow_custom_value=True,
                scale=4,
                elem_id="admin-job",
            )
            self.cancel_button = gr.Button(
                "Cancel job", variant="stop", scale=1, elem_id="admin-cancel"
            )
        self.confirm_cancel = Confirmation("admin-confirm-cancel", "Cancel the job")
        self.job_view = gr.HTML(elem_id="admin-job-view")
        with gr.Column(visible=False, elem_id="admin-training-view") as self.training_view:
            with gr.Row():
                with gr.Column(min_width=300):
                    self.loss_plot = gr.Plot(show_label=False, elem_id="admin-loss-chart")
                    gr.Markdown(_caption(formatting.LOSS_METRICS), elem_classes="mx-caption")
                with gr.Column(min_width=300):
                    self.dev_plot = gr.Plot(show_label=False, elem_id="admin-dev-chart")
                    gr.Markdown(_caption(formatting.DEV_METRICS), elem_classes="mx-caption")
            self.eval_table = gr.Dataframe(
                headers=formatting.EVAL_COLUMNS,
                interactive=False,
                label="Held-out evaluation: before and after training",
                elem_id="admin-eval",
            )
        self.jobs_table = gr.Dataframe(
            headers=formatting.JOB_COLUMNS,
            interactive=False,
            wrap=True,
            column_widths=formatting.JOB_COLUMN_WIDTHS,
        )

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
    def job_view_outputs(self) -> list[Any]:
        return [self.job_view, self.training_view, self.loss_plot, self.dev_plot, self.eval_table]

    @property
    def follow_outputs(self) -> list[Any]:
        """What :meth:`follow_job` updates."""
        return [self.job, self.tabs, *self.job_view_outputs]

    @property
    def refresh_outputs(self) -> list[Any]:
        return [
            self.queue,
            self.job,
            *self.job_view_outputs,
            self.jobs_table,
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
            inputs=[self.grant, self.job],
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
            inputs=self.job,
            outputs=self.refresh_outputs,
            api_name="admin_refresh",
            **limits.POLL,
            **PRIVATE,
        )
        self.redraw_charts_on(self.tabs)
        self.job.input(
            required(self.show_job),
            inputs=self.job,
            outputs=self.job_view_outputs,
            api_name="admin_show_job",
            **PRIVATE,
        )
        self.cancel_button.click(
            required(self.ask_cancel),
            inputs=self.job,
            outputs=self.confirm_cancel.ask_outputs,
            **PRIVATE,
        )
        self.job.change(self.confirm_cancel.hide, outputs=self.confirm_cancel.box, **PRIVATE)
        self.confirm_cancel.on_confirm(
            required(self.cancel),
            inputs=self.job,
            outputs=self.job_view_outputs,
            api_name="admin_cancel",
            **PRIVATE,
        )
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
        """Queue, job list, the selected job's live view and the model versions."""
        job_id = picked_job(picked)
        jobs = self.services.list_jobs(limit=JOBS_SHOWN)
        versions = self.services.list_model_versions()
        # Only pick a job when none is chosen: a tick that started before the user (or a
        # started job) changed the choice must not switch it back.
        picker = self.job_choices(None, jobs)
        if job_id is None and jobs:
            job_id = jobs[0].id
            picker = self.job_choices(job_id, jobs)
        return (
            f"{formatting.worker_summary(self.services.worker_status())}  \n"
            f"**Last {JOBS_SHOWN} jobs:** {formatting.queue_summary(jobs)}",
            picker,
            *self.show_job(caller, job_id),
            formatting.job_rows(jobs),
            formatting.model_rows(versions),
            gr.Dropdown(choices=[v.name for v in versions if not v.live]),
        )

    def job_choices(self, selected: int | None, jobs: Sequence[JobInfo] | None = None) -> Any:
        """The job picker: the recent jobs, with ``selected`` chosen (None: unchanged)."""
        if jobs is None:
            jobs = self.services.list_jobs(limit=JOBS_SHOWN)
        choices = [
            (f"#{j.id} {formatting.job_name(j)} {formatting.job_subject(j)}", j.id) for j in jobs
        ]
        if selected is None:
            return gr.Dropdown(choices=choices)
        return gr.Dropdown(choices=choices, value=selected)

    def follow_job(self, caller: Caller, job_id: int) -> tuple[Any, ...]:
        """Select a new job in the Jobs tab, show that tab and the job's own view at once (not
        the previously selected job's until the next refresh)."""
        return self.job_choices(job_id), gr.Tabs(selected="jobs"), *self.show_job(caller, job_id)

    def show_job(
        self, caller: Caller, picked: int | str | None, *, redraw: bool = False
    ) -> tuple[Any, ...]:
        """The selected job's progress bar, stage, ETA and outcome; for a training job also
        its loss and held-out curves (drawn anew with ``redraw``) and, once finished, the
        before/after table."""
        job_id = picked_job(picked)
        job = self.services.get_job(job_id) if job_id is not None else None
        if job is None or job.kind != "train":
            if job is not None:
                html = formatting.job_progress(job)
            elif job_id is not None:
                html = formatting.message_box(f"No job #{job_id}", "Pick a job from the list.")
            else:
                html = ""
            return html, gr.Column(visible=False), None, None, None
        rows = self.services.job_metrics(job.id)
        return (
            formatting.job_progress(job),
            gr.Column(visible=True),
            metric_chart(
                formatting.metric_frame(rows, formatting.LOSS_METRICS),
                LOSS_TITLE,
                "loss",
                redraw=redraw,
            ),
            metric_chart(
                formatting.metric_frame(rows, formatting.DEV_METRICS),
                DEV_TITLE,
                "error (%)",
                redraw=redraw,
            ),
            formatting.evaluation_rows(job.metrics),
        )

    def redraw_job(self, viewer: Caller, picked: int | str | None) -> tuple[Any, ...]:
        """For an admin, the selected job's view with its charts drawn anew (its tab was just
        shown); nothing for anyone else (the tab shows them the login form)."""
        if viewer.role is not Role.ADMIN:
            return tuple(gr.skip() for _ in self.job_view_outputs)
        return self.show_job(viewer, picked, redraw=True)

    def redraw_charts_on(self, tab: gr.Tab | gr.Tabs) -> None:
        """Draw the job's charts anew whenever ``tab`` (one holding the Jobs view) is shown:
        charts drawn while hidden would stay 0 px wide (see :func:`metric_chart`)."""
        tab.select(
            self.sessions.with_viewer(self.redraw_job),
            inputs=self.job,
            outputs=self.job_view_outputs,
            **limits.POLL,
            **PRIVATE,
        )

    def ask_cancel(self, caller: Caller, picked: int | str | None) -> tuple[Any, ...]:
        """Ask before stopping the selected job."""
        return Confirmation.ask(formatting.cancel_question(self._picked_job_info(picked)))

    def _picked_job_info(self, picked: int | str | None) -> JobInfo:
        job_id = picked_job(picked)
        if job_id is None:
            raise ValueError("Choose a job first.")
        job = self.services.get_job(job_id)
        if job is None:
            raise ValueError(f"There is no job #{job_id}.")
        return job

    def cancel(self, caller: Caller, picked: int | str | None) -> tuple[Any, ...]:
        """Ask the selected job to stop; its refreshed view."""
        job = self._picked_job_info(picked)
        if self.services.cancel_job(job.id, caller=caller):
            gr.Info(f"Job #{job.id} will stop at its next checkpoint.")
        else:
            gr.Warning(f"Job #{job.id} has already ended.")
        return self.show_job(caller, job.id)

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


def _caption(metrics: tuple[str, ...]) -> str:
    """A chart's caption: each metric's label and what it measures, one per line."""
    lines = formatting.metric_explanations(metrics).splitlines()
    return "\n".join(f"- {line}" for line in lines)


def _may(caller: Caller) -> str:
    """What a non-admin may read and write, for the line that says who is logged in."""
    if caller.readable is None:
        return ""
    readable = ", ".join(sorted(caller.readable)) or "no collection yet"
    if caller.role is not Role.EDITOR:
        return f"  \nYou may read: {readable}."
    writable = ", ".join([*sorted(caller.writable or ()), "a new collection"])
    return f"  \nYou may read: {readable}. You may add documents to: {writable}."


def picked_job(picked: int | str | None) -> int | None:
    """The job id in the picker: a listed job's id or a typed number (``12`` or ``#12``);
    None when empty. Anything else is refused with a message naming it."""
    if picked is None or picked == "":
        return None
    text = str(picked).strip().removeprefix("#")
    if not (text.isascii() and text.isdigit() and len(text) <= MAX_JOB_DIGITS):
        raise formatting.ui_error(f"{str(picked)[:40]!r} is not a job number.")
    return int(text)
