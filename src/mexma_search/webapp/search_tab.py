"""The Search tab: one box for a query in any language, filters, and result cards."""

from __future__ import annotations

from typing import Any

import gradio as gr

from mexma_search.app.access import Caller
from mexma_search.app.formatting import model_description
from mexma_search.app.paging import MAX_PAGE_SIZE
from mexma_search.app.services import Services
from mexma_search.app.views import DocumentInfo, SearchPage, SearchResult
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
            self.k = gr.Slider(
                minimum=1,
                maximum=MAX_PAGE_SIZE,
                value=10,
                step=1,
                label="Results per page",
                scale=2,
            )
            self.languages = gr.Dropdown(
                label="Languages (empty: any)",
                multiselect=True,
                choices=[],
                scale=2,
                elem_id="search-languages",
            )
            self.collections = gr.Dropdown(
                label="Collections (empty: any)",
                multiselect=True,
                choices=[],
                scale=2,
                elem_id="search-collections",
            )
            self.document = gr.Dropdown(
                label="Document",
                choices=[("any document", ANY_DOCUMENT)],
                value=ANY_DOCUMENT,
                scale=3,
                elem_id="search-document",
            )
        # the export takes the page size's number of results, whatever the floor
        SearchExport(self.found, self.sessions).build(
            [self.query, self.k, self.languages, self.collections, self.document]
        )
        self.show_all = gr.Checkbox(
            label="Show all matches", value=False, elem_id="search-show-all"
        )
        self.results = gr.HTML(js_on_load=MORE_HITS_JS, elem_id="search-results")
        self.model_note = gr.Markdown(elem_id="search-model", elem_classes="mx-model-note")
        self.page = gr.State(1)
        with gr.Row(elem_id="search-pager"):
            self.previous = gr.Button(
                "← Previous", size="sm", visible=False, min_width=100, elem_id="search-previous"
            )
            self.page_label = gr.Markdown(elem_id="search-page-label")
            self.next = gr.Button(
                "Next →", size="sm", visible=False, min_width=100, elem_id="search-next"
            )
        filters = [self.k, self.languages, self.collections, self.document, self.show_all]
        shown = [self.results, self.page, self.previous, self.page_label, self.next]
        gr.on(
            [self.query.submit, self.button.click, self.show_all.input],
            self.sessions.with_caller(self.run),
            inputs=[self.query, *filters],
            outputs=shown,
            api_visibility="private",
            **limits.SEARCH,
        )
        for button, turn in ((self.previous, self.previous_page), (self.next, self.next_page)):
            button.click(
                self.sessions.with_caller(turn),
                inputs=[self.page, self.query, *filters],
                outputs=shown,
                api_visibility="private",
                **limits.SEARCH,
            )
        self.results.click(
            self.sessions.with_caller(self.more_from_document),
            inputs=[self.query, self.k, self.languages, self.collections, self.show_all],
            outputs=[self.document, *shown],
            api_visibility="private",
            **limits.SEARCH,
        )

    @property
    def filter_outputs(self) -> list[Any]:
        """What :meth:`refresh_filters` updates: the filters and the model note."""
        return [self.languages, self.collections, self.document, self.model_note]

    def refresh_filters(self, caller: Caller) -> tuple[Any, ...]:
        """New choices for the filters (the index changes while the app runs)."""
        documents = self.services.list_documents(
            status="indexed", limit=DOCUMENT_CHOICES_LIMIT, caller=caller
        )
        return (
            gr.Dropdown(choices=self.services.languages_in_index(caller=caller)),
            gr.Dropdown(choices=self.services.collections(caller=caller)),
            gr.Dropdown(choices=document_filter_choices(documents)),
            self.model_note_text(),
        )

    def model_note_text(self) -> str:
        """Which model answers the searches, honestly named."""
        live = [version for version in self.services.list_model_versions() if version.live]
        if not live:
            return "Search model: none is live yet."
        base = live[0].metrics.get("base")
        return f"Search model: {model_description(live[0].name, str(base) if base else None)}"

    def intro(self) -> str:
        """What the result area shows before the first query (or for an empty one)."""
        if not self.services.languages_in_index():
            return formatting.EMPTY_INDEX
        return formatting.SEARCH_HINT

    def run(
        self,
        caller: Caller,
        query: str,
        k: float,
        languages: list[str] | None,
        collections: list[str] | None,
        document_id: int | None,
        show_all: bool,
        *,
        page: int = 1,
    ) -> tuple[Any, ...]:
        """Search and render page ``page`` of the cards, with the pager."""
        if not query.strip():
            return self.intro(), 1, *pager(None)
        try:
            found = self.services.search_page(
                query,
                page=page,
                page_size=int(k),
                show_all=show_all,
                caller=caller,
                **_filters(languages, collections, document_id),
            )
        except ValueError as exc:
            raise formatting.ui_error(str(exc)) from exc
        if not found.results and not found.hidden and not self.services.languages_in_index():
            return formatting.EMPTY_INDEX, 1, *pager(None)
        return formatting.result_page(found, query), found.page, *pager(found)

    def found(
        self,
        caller: Caller,
        query: str,
        k: float,
        languages: list[str] | None,
        collections: list[str] | None,
        document_id: int | None,
    ) -> list[SearchResult]:
        """The results for the tab's query and filters, for the export (bad input: a
        message)."""
        try:
            return self.services.search(
                query,
                k=int(k),
                caller=caller,
                **_filters(languages, collections, document_id),
            )
        except ValueError as exc:
            raise formatting.ui_error(str(exc)) from exc

    def previous_page(self, caller: Caller, page: int, *search: Any) -> tuple[Any, ...]:
        """The page before ``page`` of the search (the run arguments)."""
        return self.run(caller, *search, page=max(1, page - 1))

    def next_page(self, caller: Caller, page: int, *search: Any) -> tuple[Any, ...]:
        """The page after ``page`` of the search (the run arguments)."""
        return self.run(caller, *search, page=page + 1)

    def more_from_document(
        self,
        caller: Caller,
        query: str,
        k: float,
        languages: list[str] | None,
        collections: list[str] | None,
        show_all: bool,
        event: gr.EventData,
    ) -> tuple[Any, ...]:
        """Re-run the search restricted to the document whose card button was clicked."""
        document_id = getattr(event, "document", None)
        if not isinstance(document_id, int) or isinstance(document_id, bool):
            return (gr.skip(),) * 6
        documents = self.services.list_documents(
            status="indexed", limit=DOCUMENT_CHOICES_LIMIT, caller=caller
        )
        if document_id not in {document.id for document in documents}:
            return (gr.skip(),) * 6  # not a document this caller may read
        choices = document_filter_choices(documents)
        return (
            gr.Dropdown(choices=choices, value=document_id),
            *self.run(caller, query, k, languages, collections, document_id, show_all),
        )


def pager(page: SearchPage | None) -> tuple[Any, Any, Any]:
    """The previous button, the page label and the next button for ``page`` (None: no
    results to page through)."""
    if page is None:
        return gr.Button(visible=False), "", gr.Button(visible=False)
    return (
        gr.Button(visible=page.page > 1),
        formatting.page_label(page),
        gr.Button(visible=page.has_next),
    )


def _filters(
    languages: list[str] | None, collections: list[str] | None, document_id: int | None
) -> dict[str, Any]:
    """The tab's filters as the search services take them (empty: no filter)."""
    return {
        "lang": languages or None,
        "collection": collections or None,
        "document_id": document_id or None,
    }
