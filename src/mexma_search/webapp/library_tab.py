"""The Library tab: upload documents into a collection, follow their jobs, list, read again in
another encoding, and delete.

Each handler gets its caller from the session cookie: the list shows the collections they may
read; uploading needs the editor or admin role; deleting or re-reading a document, an editor's
own or admin."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from mexma_search.app.access import Caller
from mexma_search.app.document_operations import STATUSES, LibraryQuery
from mexma_search.app.service_base import DEFAULT_COLLECTION
from mexma_search.app.services import Services
from mexma_search.app.views import DocumentInfo
from mexma_search.documents.encoding import text_encoding
from mexma_search.documents.registry import SUPPORTED_EXTENSIONS
from mexma_search.webapp import formatting, limits
from mexma_search.webapp.confirm import Confirmation
from mexma_search.webapp.errors import raises_errors, shows_errors
from mexma_search.webapp.sessions import UserSessions

POLL_SECONDS = 1.0
DOCUMENTS_PER_PAGE = 50
ANY = ("any", "")
WATCHED_JOBS_SHOWN = 200
# the encodings offered for reading a plain-text document again (any other can be typed)
ENCODINGS = [
    ("UTF-8", "utf-8"),
    ("Windows-1252 (Western European, Latin-1)", "cp1252"),
    ("ISO-8859-1 (Latin-1)", "latin-1"),
    ("Windows-1250 (Central European)", "cp1250"),
    ("ISO-8859-2 (Latin-2)", "iso8859-2"),
    ("Windows-1251 (Cyrillic)", "cp1251"),
    ("KOI8-R (Russian)", "koi8-r"),
    ("Windows-1253 (Greek)", "cp1253"),
    ("Windows-1254 (Turkish)", "cp1254"),
    ("Shift JIS (Japanese)", "shift_jis"),
    ("GB18030 (Chinese)", "gb18030"),
    ("Big5 (Traditional Chinese)", "big5"),
    ("EUC-KR (Korean)", "euc-kr"),
    ("UTF-16", "utf-16"),
]


class LibraryTab:
    """Builds the tab's components and wires them to the services."""

    def __init__(self, services: Services, sessions: UserSessions) -> None:
        self.services = services
        self.sessions = sessions

    def build(self) -> None:
        max_mb = self.services.settings.max_upload_mb
        with gr.Row():
            self.files = gr.File(
                label=f"Documents (many at once; up to {max_mb} MB each)",
                file_count="multiple",
                file_types=list(SUPPORTED_EXTENSIONS),
                type="filepath",
                scale=3,
                elem_id="library-files",
            )
            with gr.Column(scale=2):
                self.collection = gr.Dropdown(
                    label="Collection: choose one or type a new name",
                    choices=[DEFAULT_COLLECTION],
                    value=DEFAULT_COLLECTION,
                    allow_custom_value=True,
                    elem_id="library-collection",
                )
                self.upload_button = gr.Button(
                    "Upload and index", variant="primary", elem_id="library-upload"
                )
                gr.Markdown("Formats: " + ", ".join(SUPPORTED_EXTENSIONS))
        # the upload endpoint's API output: the ids of the queued jobs
        self.queued = gr.JSON(visible=False)
        self.watched = gr.State([])
        self.progress = gr.HTML(elem_id="library-jobs")
        self.timer = gr.Timer(POLL_SECONDS, active=False)
        gr.Markdown("### Documents")
        with gr.Row(equal_height=True):
            self.status_filter = _any_dropdown("Status", STATUSES, "library-status")
            self.collection_filter = _any_dropdown("Collection", [], "library-collection-filter")
            self.language_filter = _any_dropdown("Language", [], "library-language")
        self.table = gr.Dataframe(
            headers=formatting.DOCUMENT_COLUMNS,
            interactive=False,
            wrap=True,
            column_widths=formatting.DOCUMENT_COLUMN_WIDTHS,
            elem_id="library-documents",
        )
        with gr.Row(equal_height=True):
            self.previous_button = gr.Button("← Newer", scale=0, elem_id="library-previous")
            self.page = gr.Number(
                value=1, precision=0, minimum=1, label="Page", scale=0, elem_id="library-page"
            )
            self.next_button = gr.Button("Older →", scale=0, elem_id="library-next")
            self.page_note = gr.Markdown(elem_id="library-page-note")
        with gr.Row(equal_height=True):
            self.refresh_button = gr.Button("Refresh", scale=1, elem_id="library-refresh")
            self.to_delete = gr.Dropdown(
                label="Document", choices=[], scale=4, elem_id="library-delete-choice"
            )
            self.delete_button = gr.Button(
                "Delete", variant="stop", scale=1, elem_id="library-delete"
            )
        self.confirm_delete = Confirmation("library-confirm-delete", "Delete")
        with gr.Row(equal_height=True):
            self.encoding = gr.Dropdown(
                label="Read the chosen document again in another encoding (plain-text formats)",
                choices=ENCODINGS,
                value=None,
                allow_custom_value=True,
                scale=4,
                min_width=300,  # a narrow screen puts the button below, not beside it
                elem_id="library-encoding",
            )
            self.reread_button = gr.Button("Read again", scale=1, elem_id="library-reread")
        self.confirm_reread = Confirmation("library-confirm-reread", "Read again")

        with_caller, with_viewer = self.sessions.with_caller, self.sessions.with_viewer
        self.upload_button.click(
            with_caller(self.upload, raises_errors),
            inputs=[self.files, self.collection],
            outputs=self.queued,
            api_name="upload",
            **limits.UPLOAD,
        ).success(
            shows_errors(self.watch),
            inputs=[self.queued, self.watched],
            outputs=[self.watched, self.files, self.timer],
            api_visibility="private",
        )
        self.timer.tick(
            with_viewer(self.poll),
            inputs=[self.watched, *self.filters],
            outputs=[self.progress, self.timer, *self.listing_outputs],
            api_visibility="private",
            **limits.POLL,
        )
        self.refresh_button.click(
            with_viewer(self.refresh),
            inputs=self.filters,
            outputs=self.refresh_outputs,
            api_visibility="private",
        )
        for choice in (self.status_filter, self.collection_filter, self.language_filter):
            choice.input(
                with_viewer(self.first_page),
                inputs=self.filters,
                outputs=self.listing_outputs,
                api_visibility="private",
            )
        self.page.submit(
            with_viewer(self.documents),
            inputs=self.filters,
            outputs=self.listing_outputs,
            api_visibility="private",
        )
        for button, step in ((self.previous_button, -1), (self.next_button, 1)):
            button.click(
                with_viewer(self.turner(step)),
                inputs=self.filters,
                outputs=self.listing_outputs,
                api_visibility="private",
            )
        self.delete_button.click(
            with_caller(self.ask_delete),
            inputs=self.to_delete,
            outputs=self.confirm_delete.ask_outputs,
            api_visibility="private",
        )
        self.to_delete.change(
            self.confirm_delete.hide, outputs=self.confirm_delete.box, api_visibility="private"
        )
        self.reread_button.click(
            with_caller(self.ask_reread),
            inputs=[self.to_delete, self.encoding],
            outputs=self.confirm_reread.ask_outputs,
            api_visibility="private",
        )
        for choice in (self.to_delete, self.encoding):
            choice.change(
                self.confirm_reread.hide, outputs=self.confirm_reread.box, api_visibility="private"
            )
        self.confirm_reread.on_confirm(
            with_caller(self.reread),
            inputs=[self.to_delete, self.encoding, self.watched],
            outputs=[self.watched, self.timer],
            api_name="reread_document",
            api_visibility="private",
        )
        self.confirm_delete.on_confirm(
            with_caller(self.delete),
            inputs=self.to_delete,
            outputs=self.to_delete,
            api_name="delete_document",
            api_visibility="private",
        ).then(
            with_viewer(self.refresh),
            inputs=self.filters,
            outputs=self.refresh_outputs,
            api_visibility="private",
        )

    @property
    def filters(self) -> list[Any]:
        """The inputs of a listing: status, collection, language, page."""
        return [self.status_filter, self.collection_filter, self.language_filter, self.page]

    @property
    def listing_outputs(self) -> list[Any]:
        """What :meth:`documents` updates."""
        return [self.table, self.to_delete, self.page, self.page_note]

    @property
    def refresh_outputs(self) -> list[Any]:
        """What :meth:`refresh` updates: the listing and the collection and language choices."""
        return [
            *self.listing_outputs,
            self.collection,
            self.collection_filter,
            self.language_filter,
        ]

    def upload(self, caller: Caller, files: list[str] | None, collection: str | None) -> list[int]:
        """Queue one ingest job per file (the backend stores them under names of its own);
        the job ids."""
        if not files:
            raise formatting.ui_error("Choose one or more files first.")
        try:
            job_ids = self.services.ingest_paths(
                [Path(file) for file in files], collection or DEFAULT_COLLECTION, caller=caller
            )
        except PermissionError:
            raise formatting.ui_error(
                f"You may not add documents to {collection!r}: log in as an editor of it."
            ) from None
        except ValueError as exc:
            raise formatting.ui_error(str(exc)) from exc
        for file in files:
            # the backend keeps its own copy; drop Gradio's upload cache copy at once
            Path(file).unlink(missing_ok=True)
        return job_ids

    def watch(self, queued: list[int], watched: list[int]) -> tuple[list[int], Any, Any]:
        """Follow the new jobs, clear the file picker and start polling."""
        return [*queued, *watched][:WATCHED_JOBS_SHOWN], None, gr.Timer(active=True)

    def unfinished_ingest_jobs(self, caller: Caller) -> list[int]:
        """Ingest jobs of ``caller``'s collections still queued or running (to follow after a
        page reload)."""
        return [
            job.id
            for job in self.services.list_jobs(kind="ingest")
            if not job.finished and self.services.visible_job(job.id, caller=caller)
        ]

    def poll(self, caller: Caller, watched: list[int], *filters: Any) -> tuple[Any, ...]:
        """Progress of the followed jobs and the document list; stops once all have ended."""
        found = (self.services.visible_job(job_id, caller=caller) for job_id in watched)
        jobs = [job for job in found if job is not None]
        running = any(not job.finished for job in jobs)
        return (
            formatting.jobs_progress(jobs),
            gr.Timer(active=running),
            *self.documents(caller, *filters),
        )

    def documents(
        self,
        caller: Caller,
        status: str | None = None,
        collection: str | None = None,
        language: str | None = None,
        page: float | None = 1,
    ) -> tuple[Any, ...]:
        """The chosen page of the document table (of the collections ``caller`` may read),
        the delete choices and the page's place."""
        listing = self.services.library_page(
            LibraryQuery(
                collection=collection or None,
                status=status or None,
                language=language or None,
                page=max(int(page or 1), 1),
                page_size=DOCUMENTS_PER_PAGE,
            ),
            caller=caller,
        )
        return (
            formatting.document_rows(listing.documents),
            gr.Dropdown(choices=formatting.document_choices(listing.documents), value=None),
            listing.page,
            formatting.page_note(listing.page, listing.pages, listing.total),
        )

    def first_page(
        self, caller: Caller, status: str, collection: str, language: str, page: float
    ) -> tuple[Any, ...]:
        """The first page for changed filters."""
        return self.documents(caller, status, collection, language, 1)

    def turner(self, step: int) -> Callable[..., tuple[Any, ...]]:
        """A handler that shows the page ``step`` pages away (clamped to the pages there are)."""

        def turn(
            caller: Caller, status: str, collection: str, language: str, page: float
        ) -> tuple[Any, ...]:
            page = max(int(page or 1) + step, 1)
            return self.documents(caller, status, collection, language, page)

        return turn

    def refresh(self, caller: Caller, *filters: Any) -> tuple[Any, ...]:
        """The listing, and the collection and language choices."""
        collections = self.services.collections(caller=caller)
        languages = self.services.languages_in_index(caller=caller)
        return (
            *self.documents(caller, *filters),
            gr.Dropdown(choices=collections or [DEFAULT_COLLECTION]),
            gr.Dropdown(choices=with_any(collections)),
            gr.Dropdown(choices=with_any(languages)),
        )

    def ask_delete(self, caller: Caller, document_id: int | None) -> tuple[Any, ...]:
        """Ask before deleting the chosen document."""
        return Confirmation.ask(formatting.delete_question(self._chosen(caller, document_id)))

    def ask_reread(
        self, caller: Caller, document_id: int | None, encoding: str | None
    ) -> tuple[Any, ...]:
        """Ask before reading the chosen document again in the chosen encoding."""
        document = self._chosen(caller, document_id, "read again")
        if not (encoding or "").strip():
            raise ValueError("Choose or type an encoding, e.g. cp1252.")
        question = formatting.reread_question(document, text_encoding(encoding or ""))
        return Confirmation.ask(question)

    def reread(
        self, caller: Caller, document_id: int | None, encoding: str | None, watched: list[int]
    ) -> tuple[list[int], Any]:
        """Queue the re-read (admins any document, editors their own) and follow its job."""
        if document_id is None or not encoding:
            raise formatting.ui_error("Choose a document and an encoding first.")
        try:
            job_id = self.services.reread_document(int(document_id), encoding, caller=caller)
        except PermissionError:
            raise formatting.ui_error(
                f"You may not change document #{document_id}: editors re-read their own uploads."
            ) from None
        except KeyError:
            raise formatting.ui_error(f"There is no document #{document_id}.") from None
        gr.Info(f"Reading document #{document_id} again (job #{job_id}).")
        return [job_id, *watched][:WATCHED_JOBS_SHOWN], gr.Timer(active=True)

    def _chosen(
        self, caller: Caller, document_id: int | None, action: str = "delete"
    ) -> DocumentInfo:
        if document_id is None:
            raise ValueError(f"Choose a document to {action}.")
        try:
            document = self.services.get_document(int(document_id), caller=caller)
        except PermissionError:
            document = None
        if document is None:
            raise ValueError(f"There is no document #{document_id}.")
        return document

    def delete(self, caller: Caller, document_id: int | None) -> Any:
        """Delete a document with its vectors and stored file (admins any, editors their own)."""
        if document_id is None:
            raise formatting.ui_error("Choose a document to delete.")
        try:
            deleted = self.services.delete_document(int(document_id), caller=caller)
        except PermissionError:
            raise formatting.ui_error(
                f"You may not delete document #{document_id}: editors delete their own uploads."
            ) from None
        if not deleted:
            raise formatting.ui_error(f"There is no document #{document_id}.")
        gr.Info(f"Deleted document #{document_id}.")
        return gr.Dropdown(value=None)


def with_any(values: Sequence[str]) -> list[tuple[str, str]]:
    """A filter's choices: "any" (the empty value, which does not filter), then ``values``."""
    return [ANY, *((value, value) for value in values)]


def _any_dropdown(label: str, values: Sequence[str], elem_id: str) -> gr.Dropdown:
    """A filter whose empty choice, "any", does not filter."""
    return gr.Dropdown(label=label, choices=with_any(values), value="", scale=1, elem_id=elem_id)
