"""The Search tab's export: the current query and filters' results as a CSV or JSONL file."""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from mexma_search.app.access import Caller
from mexma_search.app.export import EXPORT_FORMATS, export_results
from mexma_search.app.views import SearchResult
from mexma_search.webapp import formatting, limits
from mexma_search.webapp.sessions import UserSessions

# the search tab's search: caller, query, k, languages, collections, document id -> results
Search = Callable[
    [Caller, str, float, list[str] | None, list[str] | None, int | None], list[SearchResult]
]
# export files are written here; Gradio serves a copy from its cache, so the originals are
# removed at the next export once they are this old
EXPORT_DIR = Path(tempfile.gettempdir()) / "mexma-search-exports"
KEEP_SECONDS = 600


def fresh_export_file(filename: str) -> Path:
    """A path for a new export file called ``filename``, in a folder of its own (older
    exports are removed)."""
    EXPORT_DIR.mkdir(exist_ok=True)
    for old in EXPORT_DIR.glob("*/*"):
        if time.time() - old.stat().st_mtime > KEEP_SECONDS:
            old.unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # another file of that export is still young
                old.parent.rmdir()
    return Path(tempfile.mkdtemp(dir=EXPORT_DIR)) / filename


class SearchExport:
    """An export button under the search filters."""

    def __init__(self, search: Search, sessions: UserSessions) -> None:
        self.search = search
        self.sessions = sessions

    def build(self, inputs: list[Any]) -> None:
        """The controls; ``inputs`` are the query and the search tab's filters (k, languages,
        collections, document), in that order."""
        with gr.Accordion("Export these results", open=False), gr.Row(equal_height=True):
            self.format = gr.Radio(
                choices=list(EXPORT_FORMATS), value="csv", label="Export format", scale=1
            )
            self.button = gr.Button("Export results", scale=1, elem_id="search-export")
            self.file = gr.File(
                label="Export", interactive=False, scale=2, elem_id="search-export-file"
            )
        self.button.click(
            self.sessions.with_caller(self.export),
            inputs=[self.format, *inputs],
            outputs=self.file,
            api_name="search_export",
            api_visibility="private",
            **limits.SEARCH,
        )

    def export(
        self,
        caller: Caller,
        fmt: str,
        query: str,
        k: float,
        languages: list[str] | None,
        collections: list[str] | None,
        document_id: int | None,
    ) -> str:
        """Search as the tab does and write the results in ``fmt``; the file's path."""
        if fmt not in EXPORT_FORMATS:
            raise formatting.ui_error(f"Choose an export format: {', '.join(EXPORT_FORMATS)}.")
        if not (query or "").strip():
            raise formatting.ui_error("Type a query first: the export holds its results.")
        results = self.search(caller, query, k, languages, collections, document_id)
        path = fresh_export_file(f"search-results.{fmt}")
        path.write_text(export_results(results, fmt), encoding="utf-8")
        return str(path)
