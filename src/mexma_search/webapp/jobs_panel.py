"""The Admin tab's Jobs view: the queue, the job picker with the picked job's live view
(progress, stage, ETA, outcome; for a training job its loss and held-out curves and the
before/after table), cancel (confirmed) and the recent jobs' table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gradio as gr

from mexma_search.app.access import Caller, Role
from mexma_search.app.services import Services
from mexma_search.app.views import JobInfo
from mexma_search.webapp import formatting, limits
from mexma_search.webapp.charts import metric_chart
from mexma_search.webapp.confirm import Confirmation
from mexma_search.webapp.sessions import UserSessions

JOBS_SHOWN = 50
LOSS_TITLE = "Training losses"
DEV_TITLE = "Held-out translation retrieval error (%)"
PRIVATE: dict[str, Any] = {"api_visibility": "private"}
MAX_JOB_DIGITS = 18  # fits a 64-bit row id


class JobsPanel:
    """Builds the Jobs view and wires it to the services; every handler is for admins only."""

    def __init__(self, services: Services, sessions: UserSessions) -> None:
        self.services = services
        self.sessions = sessions

    def build(self) -> None:
        """The components, in the Jobs tab."""
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

    @property
    def view_outputs(self) -> list[Any]:
        """What :meth:`show_job` updates."""
        return [self.job_view, self.training_view, self.loss_plot, self.dev_plot, self.eval_table]

    @property
    def refresh_outputs(self) -> list[Any]:
        """What :meth:`refresh` updates."""
        return [self.queue, self.job, *self.view_outputs, self.jobs_table]

    def wire(self) -> None:
        """Picking, cancelling; the charts drawn anew when the view's tab is shown."""
        required = self.sessions.required
        self.job.input(
            required(self.show_job),
            inputs=self.job,
            outputs=self.view_outputs,
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
            outputs=self.view_outputs,
            api_name="admin_cancel",
            **PRIVATE,
        )

    def refresh(self, caller: Caller, picked: int | str | None) -> tuple[Any, ...]:
        """The queue, the picker, the picked job's live view and the recent jobs (the first
        one picked when none is)."""
        job_id = picked_job(picked)
        jobs = self.services.list_jobs(limit=JOBS_SHOWN)
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
            return tuple(gr.skip() for _ in self.view_outputs)
        return self.show_job(viewer, picked, redraw=True)

    def redraw_charts_on(self, tab: gr.Tab | gr.Tabs) -> None:
        """Draw the job's charts anew whenever ``tab`` (one holding the Jobs view) is shown:
        charts drawn while hidden would stay 0 px wide (see :func:`metric_chart`)."""
        tab.select(
            self.sessions.with_viewer(self.redraw_job),
            inputs=self.job,
            outputs=self.view_outputs,
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


def _caption(metrics: tuple[str, ...]) -> str:
    """A chart's caption: each metric's label and what it measures, one per line."""
    lines = formatting.metric_explanations(metrics).splitlines()
    return "\n".join(f"- {line}" for line in lines)


def picked_job(picked: int | str | None) -> int | None:
    """The job id in the picker: a listed job's id or a typed number (``12`` or ``#12``);
    None when empty. Anything else is refused with a message naming it."""
    if picked is None or picked == "":
        return None
    text = str(picked).strip().removeprefix("#")
    if not (text.isascii() and text.isdigit() and len(text) <= MAX_JOB_DIGITS):
        raise formatting.ui_error(f"{str(picked)[:40]!r} is not a job number.")
    return int(text)
