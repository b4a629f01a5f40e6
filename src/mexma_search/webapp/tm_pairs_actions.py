"""What an admin does with a finished mining or alignment job's pairs: download them as TSV or
TMX, open them in the training form as its bitext, or save them as a translation memory.

Each action takes the pairs that pass the pairs table's filters, in its order; the work is
:class:`~mexma_search.app.tm_jobs.TmJobs`'s and every handler goes through
:meth:`~mexma_search.webapp.sessions.UserSessions.required` (admins only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from mexma_search.app.access import Caller
from mexma_search.app.services import Services
from mexma_search.app.tm_jobs import job_languages
from mexma_search.app.views import JobInfo
from mexma_search.tm.export import EXPORT_FORMATS
from mexma_search.webapp import formatting
from mexma_search.webapp.errors import raises_errors
from mexma_search.webapp.export_panel import fresh_export_file
from mexma_search.webapp.sessions import UserSessions
from mexma_search.webapp.tm_format import picked_number
from mexma_search.webapp.tm_pairs_table import Filters
from mexma_search.webapp.training_panel import TrainingPanel

PRIVATE: dict[str, Any] = {"api_visibility": "private"}


@dataclass(frozen=True)
class TrainingLink:
    """Where "Use as training bitext" goes: the training form, and the tabs to switch to it
    (the page's, with the id of the Admin tab; the Admin tab's, with the form's)."""

    form: TrainingPanel
    page_tabs: gr.Tabs
    admin_tab_id: str
    admin_tabs: gr.Tabs
    form_tab_id: str


def picked_job(services: Services, picked: int | str | None) -> JobInfo | None:
    """The job chosen in the job picker (None: none chosen)."""
    job_id = picked_number(picked, "job")
    return services.get_job(job_id) if job_id is not None else None


class TmPairsActions:
    """The export, training and save buttons under the pairs table, and their handlers."""

    def __init__(self, services: Services, sessions: UserSessions) -> None:
        self.services = services
        self.sessions = sessions

    def build_export(self) -> None:
        """The format choice and the export and training buttons (in the caller's row)."""
        self.format = gr.Radio(
            choices=list(EXPORT_FORMATS), value="tmx", label="Format", min_width=120
        )
        self.export_button = gr.Button("Export these pairs", elem_id="tm-export")
        self.train_button = gr.Button("Use as training bitext", elem_id="tm-use-for-training")

    def build_save(self) -> None:
        """The translation memory's name and collection, the save button and the export's
        file."""
        with gr.Row(equal_height=True):
            self.memory_name = gr.Textbox(
                label="Translation memory name", max_lines=1, elem_id="tm-memory-name"
            )
            self.memory_collection = gr.Dropdown(
                label="In collection",
                choices=[],
                allow_custom_value=True,
                elem_id="tm-memory-collection",
            )
            self.save_button = gr.Button("Save as translation memory", elem_id="tm-save-memory")
        # shown once there is an export (empty, it is a large blank drop area)
        self.file = gr.File(
            label="Export", interactive=False, visible=False, elem_id="tm-export-file"
        )

    def wire(self, job: gr.Dropdown, filters: list[Any], training: TrainingLink) -> None:
        """Connect the buttons to the job picked in ``job`` and the table's ``filters``."""
        self.training = training
        required = self.sessions.required
        self.export_button.click(
            required(self.export),
            inputs=[job, self.format, *filters],
            outputs=self.file,
            api_name="tm_export",
            **PRIVATE,
        )
        form = training.form
        opened = self.train_button.click(
            required(self.use_for_training, raises_errors),
            inputs=[job, *filters],
            outputs=[
                form.bitext,
                form.src_lang,
                form.trg_lang,
                training.page_tabs,
                training.admin_tabs,
            ],
            api_name="tm_use_for_training",
            **PRIVATE,
        )
        form.validate_after(opened.success)
        self.save_button.click(
            required(self.save_as_memory),
            inputs=[job, self.memory_name, self.memory_collection, *filters],
            api_name="tm_save_as_memory",
            **PRIVATE,
        )

    def export(self, caller: Caller, picked: int | str | None, fmt: str, *filters: Any) -> Any:
        """The pairs that pass the filters, in the table's order, as a TSV or TMX file."""
        job = self._required_job(picked)
        if fmt not in EXPORT_FORMATS:
            raise formatting.ui_error(f"Choose a format: {', '.join(EXPORT_FORMATS)}.")
        src, trg = job_languages(job)
        path = fresh_export_file(f"{job.parameters['task']}-{job.id}-{src}-{trg}.{fmt}")
        exported = self.services.tm.export(job.id, path, Filters(*filters).query(), caller=caller)
        return gr.File(value=str(exported), visible=True)

    def use_for_training(
        self, caller: Caller, picked: int | str | None, *filters: Any
    ) -> tuple[Any, ...]:
        """Put the pairs that pass the filters in the training form as its bitext (a TMX) and
        switch to the form; its validation report follows."""
        job = self._required_job(picked)
        folder = fresh_export_file("bitext").parent
        path = self.services.tm.training_bitext(
            job.id, folder, Filters(*filters).query(), caller=caller
        )
        src, trg = job_languages(job)
        gr.Info(f"The pairs of job #{job.id} are in the training form: read the report below.")
        return (
            str(path),
            src,
            trg,
            gr.Tabs(selected=self.training.admin_tab_id),
            gr.Tabs(selected=self.training.form_tab_id),
        )

    def save_as_memory(
        self,
        caller: Caller,
        picked: int | str | None,
        name: str,
        collection: str | None,
        *filters: Any,
    ) -> None:
        """Store the pairs that pass the filters in a translation memory (created if new)."""
        job = self._required_job(picked)
        origin, segments = self.services.tm.segments(
            job.id, Filters(*filters).query(), caller=caller
        )
        added = self.services.add_pairs_to_tm(caller, name, collection or "", segments, origin)
        gr.Info(
            f"{added.added} pairs saved in translation memory {added.name!r} of "
            f"{added.collection!r} ({added.skipped} already there or with an empty side)."
        )

    def _required_job(self, picked: int | str | None) -> JobInfo:
        job = picked_job(self.services, picked)
        if job is None:
            raise formatting.ui_error("Choose a finished mining or alignment job first.")
        return job
