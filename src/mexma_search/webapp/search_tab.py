"""The Search tab: one box for a query in any language, filters, and result cards."""

from __future__ import annotations

from typing import Any

import gradio as gr

from mexma_search.app.access import Caller
from mexma_search.app.search import MAX_K
from mexma_search.app.services import Services
from mexma_search.app.views import DocumentInfo, SearchResult
from mexma_search.webapp import formatting, limits
from mexma_search.webapp.export_panel import SearchExport
from mexma_search.webapp.sessions import UserSessions

DOCUMENT_CHOICES_LIMIT = 1000
# A click on a card's "More from this document" button fires the HTML component's click
# event with the document id; clicks elsewhere are ignored.
MORE_HITS_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('[data-document]');
  if (button) trigger('click', {document: Number(button.dataset.document)});
});
"""


ANY_DOCUMENT = 0  # document ids start at 1


def document_filter_choices(documents: list[DocumentInfo]) -> list[tuple[str, int]]:
    """The document filter's choices: any document, then each indexed one."""
    return [("any document", ANY_DOCUMENT), *formatting.document_choices(documents)]


class SearchTab:
    """Builds the tab's components and wires them to the services."""

    def __init__(self, services: Services, sessions: UserSessions) -> None:
        self.services = services
        self.sessions = sessions

    def build(self) -> None:
        with gr.Row(equal_height=True):
            self.query = gr.Textbox(
                label="Search in any language",
                placeholder="e.g. Wann öffnet die Bäckerei? / ¿cuándo sale el tren?",
                scale=6,
                autofocus=True,
                elem_id="search-query",
            )
            self.button = gr.Button("Search", variant="primary", scale=1, elem_id="search-button")
        with gr.Row():
            self.k = gr.Slider(minimum=1, maximum=MAX_K, value=10, step=1, label="Results", scale=2)
            self.languages = gr.Dropdown(label="Languages", multiselect=True, choices=[], scale=2)
            self.collections = gr.Dropdown(
                label="Collections", multiselect=True, choices=[], scale=2
            )
            self.document = gr.Dropdown(
                label="Document",
                choices=[("any document", ANY_DOCUMENT)],
                value=ANY_DOCUMENT,
                scale=3,
                elem_id="search-document",
            )
        filters = [self.k, self.languages, self.collections, self.document]
        SearchExport(self.found, self.sessions).build([self.query, *filters])
        self.results = gr.HTML(js_on_load=MORE_HITS_JS, elem_id="search-results")
        gr.on(
            [self.query.submit, self.button.click],
            self.sessions.with_caller(self.run),
            inputs=[self.query, *filters],
            outputs=self.results,
            api_visibility="private",
            **limits.SEARCH,
        )
        self.results.click(
            self.sessions.with_caller(self.more_from_document),
            inputs=[self.query, self.k, self.languages, self.collections],
            outputs=[self.document, self.results],
            api_visibility="private",
            **limits.SEARCH,
        )

    @property
    def filter_outputs(self) -> list[gr.Dropdown]:
        return [self.languages, self.collections, self.document]

    def refresh_filters(self, caller: Caller) -> tuple[Any, ...]:
        """New choices for the filters (the index changes while the app runs)."""
        documents = self.services.list_documents(
            status="indexed", limit=DOCUMENT_CHOICES_LIMIT, caller=caller
        )
        return (
            gr.Dropdown(choices=self.services.languages_in_index()),
            gr.Dropdown(choices=self.services.collections(caller=caller)),
            gr.Dropdown(choices=document_filter_choices(documents)),
        )

    def intro(self) -> str:
        """What the result area shows before the first query."""
        return "" if self.services.languages_in_index() else formatting.EMPTY_INDEX

    def run(
        self,
        caller: Caller,
        query: str,
        k: float,
        languages: list[str] | None,
        collections: list[str] | None,
        document_id: int | None,
    ) -> str:
        """Search and render the cards."""
        if not query.strip():
            return self.intro()
        results = self.found(caller, query, k, languages, collections, document_id)
        if not results and not self.services.languages_in_index():
            return formatting.EMPTY_INDEX
        return formatting.result_cards(results, query)

    def found(
        self,
        caller: Caller,
        query: str,
        k: float,
        languages: list[str] | None,
        collections: list[str] | None,
        document_id: int | None,
    ) -> list[SearchResult]:
        """The results for the tab's query and filters (bad input: a message)."""
        try:
            return self.services.search(
                query,
                k=int(k),
                lang=languages or None,
                collection=collections or None,
                document_id=document_id or None,
                caller=caller,
            )
        except ValueError as exc:
            raise formatting.ui_error(str(exc)) from exc

    def more_from_document(
        self,
        caller: Caller,
        query: str,
        k: float,
        languages: list[str] | None,
        collections: list[str] | None,
        event: gr.EventData,
    ) -> tuple[Any, Any]:
        """Re-run the search restricted to the document whose card button was clicked."""
        document_id = getattr(event, "document", None)
        if not isinstance(document_id, int) or isinstance(document_id, bool):
            return gr.skip(), gr.skip()
        documents = self.services.list_documents(
            status="indexed", limit=DOCUMENT_CHOICES_LIMIT, caller=caller
        )
        if document_id not in {document.id for document in documents}:
            return gr.skip(), gr.skip()  # not a document this caller may read
        choices = document_filter_choices(documents)
        return (
            gr.Dropdown(choices=choices, value=document_id),
            self.run(caller, query, k, languages, collections, document_id),
        )
