"""The pairs table of a translation-memory job: its controls (minimum score, text filter,
sort, page), the summary line and the table, and the query the controls' values make."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from mexma_search.tm.results import SORT_KEYS, ResultQuery
from mexma_search.webapp.tm_format import minimum_score

PAIR_COLUMNS = ["#", "Source", "Target", "Score"]
PAGE_SIZES = [25, 50, 100, 250]


@dataclass(frozen=True)
class Filters:
    """The table's controls, as their values arrive in a handler."""

    min_score: str | float | None
    contains: str
    sort: str
    ascending: bool
    page: float | None
    page_size: float | None

    def query(self, page: int | None = None) -> ResultQuery:
        return ResultQuery(
            min_score=minimum_score(self.min_score),
            contains=self.contains or "",
            sort=self.sort,  # type: ignore[arg-type]  # checked by ResultQuery
            ascending=bool(self.ascending),
            page=page if page is not None else max(1, int(self.page or 1)),
            page_size=int(self.page_size or PAGE_SIZES[1]),
        )


class PairsTable:
    """The controls, summary and table, built in the current Gradio context."""

    def __init__(self) -> None:
        with gr.Row(equal_height=True):
            # a number box cannot be empty in the browser (it sends 0): "no minimum" needs text
            self.min_score = gr.Textbox(
                label="Min score",
                placeholder="any",
                max_lines=1,
                min_width=110,
                elem_id="tm-min-score",
            )
            self.contains = gr.Textbox(
                label="Text contains", max_lines=1, min_width=160, elem_id="tm-contains"
            )
            self.sort = gr.Dropdown(
                label="Sort by", choices=list(SORT_KEYS), value="score", min_width=110
            )
            # its width is app.css's: a checkbox ignores min_width
            self.ascending = gr.Checkbox(label="Ascending", value=False, elem_id="tm-ascending")
            self.page = gr.Number(label="Page", value=1, precision=0, minimum=1, min_width=90)
            self.page_size = gr.Dropdown(
                label="Per page", choices=PAGE_SIZES, value=PAGE_SIZES[1], min_width=90
            )
        self.summary = gr.Markdown(elem_id="tm-summary")
        self.table = gr.Dataframe(
            headers=PAIR_COLUMNS,
            interactive=False,
            wrap=True,
            column_widths=["6%", "42%", "42%", "10%"],
            elem_id="tm-pairs",
        )

    @property
    def filters(self) -> list[Any]:
        """The controls, in :class:`Filters`' order."""
        return [self.min_score, self.contains, self.sort, self.ascending, self.page, self.page_size]

    @property
    def changed(self) -> list[Any]:
        """The events after which the table is shown again."""
        return [
            self.min_score.submit,
            self.contains.submit,
            self.sort.input,
            self.ascending.input,
            self.page.submit,
            self.page_size.input,
        ]
