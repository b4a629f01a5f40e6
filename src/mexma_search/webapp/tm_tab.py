"""The Translation memory tab: concordance for everyone who may read a collection (search box,
language pair and memory filters, results side by side), renaming and deleting memories for
those who may (see :mod:`mexma_search.webapp.tm_manage_panel`) and, below it for a logged-in
admin, mining and alignment jobs (see :mod:`mexma_search.webapp.tm_jobs_panel`)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from mexma_search.app.access import Caller
from mexma_search.app.services import Services
from mexma_search.webapp import formatting, limits
from mexma_search.webapp.library_tab import with_any
from mexma_search.webapp.sessions import UserSessions
from mexma_search.webapp.tm_formatting import NO_TMS, TM_HINT, pair_choices, tm_results
from mexma_search.webapp.tm_jobs_panel import TmJobsPanel
from mexma_search.webapp.tm_manage_panel import TmManagePanel
from mexma_search.webapp.tm_pairs_actions import TrainingLink

MAX_RESULTS = 50


class TmTab:
    """Builds the tab's components and wires them to the services."""

    def __init__(self, services: Services, sessions: UserSessions) -> None:
        self.services = services
        self.sessions = sessions
        self.jobs = TmJobsPanel(services, sessions)
        self.manage = TmManagePanel(services, sessions)

    def build(self) -> None:
        with gr.Row(equal_height=True):
            self.query = gr.Textbox(
                label="Look up a word or sentence in any language",
                placeholder="e.g. bridges / panadería / Fahrplan",
                scale=6,
                elem_id="tm-query",
            )
            self.button = gr.Button("Look up", variant="primary", scale=1, elem_id="tm-button")
        with gr.Row():
            self.pair = gr.Dropdown(
                label="Language pair", choices=with_any([]), value="", scale=2, elem_id="tm-pair"
            )
            self.memory = gr.Dropdown(
                label="Translation memory",
                choices=with_any([]),
                value="",
                scale=3,
                elem_id="tm-name",
            )
            self.limit = gr.Slider(
                minimum=1, maximum=MAX_RESULTS, value=10, step=1, label="Results", scale=2
            )
        self.results = gr.HTML(elem_id="tm-results")
        gr.on(
            [self.query.submit, self.button.click],
            self.sessions.with_caller(self.run),
            inputs=[self.query, self.pair, self.memory, self.limit],
            outputs=self.results,
            api_visibility="private",
            **limits.SEARCH,
        )
        self.manage.build()
        self.manage.wire(
            lambda event: event.then(
                self.sessions.with_viewer(self.refresh),
                outputs=self.refresh_outputs,
                api_visibility="private",
            )
        )
        # shown on an admin's login (the Admin tab's), hidden on logout; its handlers check
        # the caller on the server
        with gr.Column(visible=False, elem_id="tm-admin") as self.admin_section:
            gr.Markdown("### Mining & alignment")
            self.jobs.build()

    def wire_jobs(self, opened_on: gr.Tab, timer: gr.Timer, training: TrainingLink) -> None:
        """Connect the admin's mining and alignment panel (see :meth:`TmJobsPanel.wire`),
        once the Admin tab it polls with and hands pairs to is built."""
        self.jobs.wire(opened_on, timer, training)

    @property
    def refresh_outputs(self) -> list[Any]:
        """What :meth:`refresh` updates: the filters, the result area and the manage
        section."""
        return [self.pair, self.memory, self.results, *self.manage.refresh_outputs]

    def refresh(self, caller: Caller) -> tuple[Any, ...]:
        """The filters' choices from the memories ``caller`` may read, and the notice the
        result area shows before a query (none to search: how to add one)."""
        memories = self.services.list_tms(caller=caller)
        pairs = pair_choices([pair for memory in memories for pair in memory.pairs])
        names = sorted({memory.name for memory in memories})
        return (
            gr.Dropdown(choices=with_any(pairs)),
            gr.Dropdown(choices=with_any(names)),
            TM_HINT if memories else NO_TMS,
            *self.manage.refresh(caller),
        )

    def run(
        self, caller: Caller, query: str, pair: str | None, memory: str | None, limit: float
    ) -> str:
        """The segments matching ``query``, side by side."""
        if not query.strip():
            return TM_HINT if self.services.list_tms(caller=caller) else NO_TMS
        try:
            hits = self.services.concordance(
                caller, query, language_pair=pair or None, tm=memory or None, limit=int(limit)
            )
        except ValueError as exc:
            raise formatting.ui_error(str(exc)) from exc
        if not hits and not self.services.list_tms(caller=caller):
            return NO_TMS
        return tm_results(hits, query)
