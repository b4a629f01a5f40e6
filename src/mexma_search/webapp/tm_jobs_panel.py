"""Translation-memory jobs for admins: mine pairs from two collections or align two documents,
follow the job and browse its pairs (filter, sort, pages); what an admin does with them is in
:mod:`mexma_search.webapp.tm_pairs_actions`.

The work is :class:`~mexma_search.app.tm_jobs.TmJobs`'s; every handler goes through
:meth:`~mexma_search.webapp.sessions.UserSessions.required` (admins only, checked on the
server).
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from mexma_search.app.access import Caller, Role
from mexma_search.app.services import Services
from mexma_search.app.tm_jobs import AlignmentSide, MiningSide
from mexma_search.app.views import JobInfo
from mexma_search.tm.results import ResultQuery
from mexma_search.tm.verify import DEFAULT_VERIFIED_THRESHOLD
from mexma_search.webapp import formatting, limits
from mexma_search.webapp.sessions import UserSessions
from mexma_search.webapp.tm_format import (
    document_ids,
    job_label,
    model_choices,
    on_page,
    page_summary,
    pair_rows,
    picked_document,
    waiting_message,
)
from mexma_search.webapp.tm_pairs_actions import TmPairsActions, TrainingLink, picked_job
from mexma_search.webapp.tm_pairs_table import Filters, PairsTable

PRIVATE: dict[str, Any] = {"api_visibility": "private"}
LIVE_MODEL = ("The live model (serves search)", "")
JOBS_SHOWN = 50
DOCUMENTS_SHOWN = 500


class TmJobsPanel:
    """The forms, the job's progress, the pairs table and its buttons."""

    def __init__(self, services: Services, sessions: UserSessions) -> None:
        self.services = services
        self.sessions = sessions
        self.actions = TmPairsActions(services, sessions)

    def build(self) -> None:
        self.model = gr.Dropdown(
            label="Model for mining and alignment (a version tuned for it need not be live)",
            choices=[LIVE_MODEL],
            value="",
            elem_id="tm-model",
        )
        with gr.Accordion("Mine pairs from two collections", open=True, elem_id="tm-mine"):
            with gr.Row():
                self.mine_src = _side("Source", "tm-mine-src")
                self.mine_trg = _side("Target", "tm-mine-trg")
            with gr.Row(equal_height=True):
                self.threshold = gr.Number(
                    value=DEFAULT_VERIFIED_THRESHOLD,
                    label="Keep pairs with a verified margin score at least",
                    minimum=0,
                    step=0.01,
                    elem_id="tm-threshold",
                )
                self.mine_button = gr.Button(
                    "Start mining", variant="primary", elem_id="tm-mine-start"
                )
        with (
            gr.Accordion("Align two documents", open=False, elem_id="tm-align"),
            gr.Row(equal_height=True),
        ):
            self.align_src = _document("Source document", "tm-align-src")
            self.align_src_lang = gr.Textbox(
                label="Its language (empty: the document's)", max_lines=1
            )
            self.align_trg = _document("Target document (its translation)", "tm-align-trg")
            self.align_trg_lang = gr.Textbox(
                label="Its language (empty: the document's)", max_lines=1
            )
            self.align_button = gr.Button(
                "Start alignment", variant="primary", elem_id="tm-align-start"
            )
        self.job = gr.Dropdown(
            label="Mining or alignment job", choices=[], allow_custom_value=True, elem_id="tm-job"
        )
        self.progress = gr.HTML(elem_id="tm-progress")
        # the status the table was last shown for: the poll redraws it when the job ends
        self.shown_status = gr.State("")
        self.pairs = PairsTable()
        with gr.Row(equal_height=True):
            self.previous = gr.Button("Previous page", size="sm", min_width=120)
            self.next = gr.Button("Next page", size="sm", min_width=120)
            self.actions.build_export()
        self.actions.build_save()

    @property
    def filters(self) -> list[Any]:
        return self.pairs.filters

    @property
    def view_outputs(self) -> list[Any]:
        """What :meth:`show` updates."""
        pairs = self.pairs
        return [self.progress, pairs.summary, pairs.table, pairs.page, self.shown_status]

    def wire(self, opened_on: gr.Tab, timer: gr.Timer, training: TrainingLink) -> None:
        """Connect the controls; the choices of collections, documents and jobs are read when
        the tab ``opened_on`` is selected (by an admin), ``timer`` polls the job's progress
        (it ticks for admins only)."""
        required = self.sessions.required
        side_inputs = [*self.mine_src, *self.mine_trg, self.threshold, self.model]
        self.mine_button.click(
            required(self.start_mining),
            inputs=side_inputs,
            outputs=[self.progress, self.job],
            api_name="tm_start_mining",
            **PRIVATE,
        )
        align_inputs = [
            self.align_src,
            self.align_src_lang,
            self.align_trg,
            self.align_trg_lang,
            self.model,
        ]
        self.align_button.click(
            required(self.start_alignment),
            inputs=align_inputs,
            outputs=[self.progress, self.job],
            api_name="tm_start_alignment",
            **PRIVATE,
        )
        shown = [self.job, *self.filters]
        self.job.input(required(self.pick), inputs=shown, outputs=self.view_outputs, **PRIVATE)
        for trigger in self.pairs.changed:
            trigger(required(self.show), inputs=shown, outputs=self.view_outputs, **PRIVATE)
        for button, step in ((self.previous, -1), (self.next, 1)):
            button.click(
                required(self.turn_page(step)), inputs=shown, outputs=self.view_outputs, **PRIVATE
            )
        timer.tick(
            required(self.poll),
            inputs=[self.job, self.shown_status, *self.filters],
            outputs=[self.job, *self.view_outputs],
            api_name="tm_poll",
            **limits.POLL,
            **PRIVATE,
        )
        self.actions.wire(self.job, self.filters, training)
        opened_on.select(
            self.sessions.with_viewer(self.choices),
            outputs=[
                self.mine_src[0],
                self.mine_trg[0],
                self.actions.memory_collection,
                self.align_src,
                self.align_trg,
                self.job,
                self.model,
            ],
            **PRIVATE,
        )

    # ----- handlers ----------------------------------------------------------------------

    def choices(self, caller: Caller) -> tuple[Any, ...]:
        """The collections and the newest documents to choose from, the job list and the
        model versions (for an admin: the panel is hidden from everyone else, who changes
        nothing)."""
        if caller.role is not Role.ADMIN:
            return (gr.skip(),) * 7
        collections = gr.Dropdown(choices=self.services.collections(caller=caller))
        documents = self.services.list_documents(limit=DOCUMENTS_SHOWN, caller=caller)
        named = formatting.document_choices(documents)
        return (
            collections,
            collections,
            collections,
            gr.Dropdown(choices=named),
            gr.Dropdown(choices=named),
            self.job_choices(caller),
            gr.Dropdown(choices=[LIVE_MODEL, *model_choices(self.services.list_model_versions())]),
        )

    def start_mining(
        self,
        caller: Caller,
        src_collection: str | None,
        src_lang: str,
        src_documents: str,
        trg_collection: str | None,
        trg_lang: str,
        trg_documents: str,
        threshold: float | None,
        model: str | None,
    ) -> tuple[Any, ...]:
        """Queue a mining job and follow it."""
        job_id = self.services.tm.start_mining(
            MiningSide(src_collection or "", src_lang, document_ids(src_documents)),
            MiningSide(trg_collection or "", trg_lang, document_ids(trg_documents)),
            threshold=threshold,
            model=model or None,
            caller=caller,
        )
        gr.Info(f"Mining job #{job_id} queued.")
        return self._follow(caller, job_id)

    def start_alignment(
        self,
        caller: Caller,
        source: int | str | None,
        src_lang: str,
        target: int | str | None,
        trg_lang: str,
        model: str | None,
    ) -> tuple[Any, ...]:
        """Queue an alignment job and follow it."""
        job_id = self.services.tm.start_alignment(
            AlignmentSide(picked_document(source, "source"), src_lang or None),
            AlignmentSide(picked_document(target, "target"), trg_lang or None),
            model=model or None,
            caller=caller,
        )
        gr.Info(f"Alignment job #{job_id} queued.")
        return self._follow(caller, job_id)

    def _follow(self, caller: Caller, job_id: int) -> tuple[Any, ...]:
        job = self.services.get_job(job_id)
        assert job is not None
        return formatting.job_progress(job), self.job_choices(caller, job_id)

    def job_choices(self, caller: Caller, selected: int | None = None) -> Any:
        """The picker: the recent mining and alignment jobs, ``selected`` chosen (None: as is)."""
        jobs = self.services.tm.list_jobs(caller=caller, limit=JOBS_SHOWN)
        choices = [(job_label(job), job.id) for job in jobs]
        return (
            gr.Dropdown(choices=choices, value=selected)
            if selected
            else gr.Dropdown(choices=choices)
        )

    def show(self, caller: Caller, picked: int | str | None, *filters: Any) -> tuple[Any, ...]:
        """The picked job's progress and, once it succeeded, a page of its pairs."""
        return self._view(caller, picked, Filters(*filters).query())

    def pick(self, caller: Caller, picked: int | str | None, *filters: Any) -> tuple[Any, ...]:
        """As :meth:`show`, from the first page (another job was picked)."""
        return self._view(caller, picked, Filters(*filters).query(1))

    def turn_page(self, step: int) -> Any:
        def turned(caller: Caller, picked: int | str | None, *filters: Any) -> tuple[Any, ...]:
            chosen = Filters(*filters)
            return self._view(caller, picked, chosen.query(max(1, int(chosen.page or 1) + step)))

        turned.__name__ = "previous_page" if step < 0 else "next_page"
        return turned

    def _view(
        self, caller: Caller, picked: int | str | None, query: ResultQuery
    ) -> tuple[Any, ...]:
        job = self._job(picked)
        if job is None:
            return "", "", None, query.page, ""
        if job.status != "succeeded":
            return formatting.job_progress(job), waiting_message(job), None, query.page, job.status
        page = self.services.tm.results(job.id, query, caller=caller)
        if page.page > page.pages:  # past the end (fewer pairs match now): the last page
            page = self.services.tm.results(job.id, on_page(query, page.pages), caller=caller)
        return (
            formatting.job_progress(job),
            page_summary(job, page),
            pair_rows(page),
            page.page,
            job.status,
        )

    def poll(
        self, caller: Caller, picked: int | str | None, shown_status: str, *filters: Any
    ) -> tuple[Any, ...]:
        """The job list and the picked job's progress; its pairs too when it has just ended."""
        job = self._job(picked)
        choices = self.job_choices(caller)
        if job is None or job.status == shown_status:
            progress = formatting.job_progress(job) if job is not None else gr.skip()
            return choices, progress, gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return choices, *self._view(caller, picked, Filters(*filters).query(1))

    def _job(self, picked: int | str | None) -> JobInfo | None:
        return picked_job(self.services, picked)


def _side(name: str, elem_id: str) -> tuple[gr.Dropdown, gr.Textbox, gr.Textbox]:
    with gr.Column(min_width=260):
        collection = gr.Dropdown(
            label=f"{name} collection", choices=[], allow_custom_value=True, elem_id=elem_id
        )
        lang = gr.Textbox(
            label=f"{name} language (e.g. en)", max_lines=1, elem_id=f"{elem_id}-lang"
        )
        documents = gr.Textbox(
            label="Only these documents (optional: numbers, e.g. 3, 7)", max_lines=1
        )
    return collection, lang, documents


def _document(label: str, elem_id: str) -> gr.Dropdown:
    return gr.Dropdown(
        label=label, choices=[], allow_custom_value=True, min_width=220, elem_id=elem_id
    )
