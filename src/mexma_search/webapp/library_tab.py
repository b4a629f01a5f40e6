"""The Library tab: upload documents into a collection, follow their jobs, list and delete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from mexma_search.app.services import DEFAULT_COLLECTION, Services
from mexma_search.app.views import DocumentInfo
from mexma_search.documents.registry import SUPPORTED_EXTENSIONS
from mexma_search.webapp import formatting, limits
from mexma_search.webapp.auth import AdminSession
from mexma_search.webapp.confirm import Confirmation
from mexma_search.webapp.errors import raises_errors, shows_errors
from mexma_search.webapp.sessions import AdminSessions

POLL_SECONDS = 1.0
DOCUMENTS_SHOWN = 500
WATCHED_JOBS_SHOWN = 200


class LibraryTab:
    """Builds the tab's components and wires them to the services."""

    def __init__(self, services: Services, sessions: AdminSessions) -> None:
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
        self.table = gr.Dataframe(
            headers=formatting.DOCUMENT_COLUMNS,
            interactive=False,
            wrap=True,
            elem_id="library-documents",
        )
        with gr.Row(equal_height=True):
            self.refresh_button = gr.Button("Refresh", scale=1, elem_id="library-refresh")
            self.to_delete = gr.Dropdown(
                label="Document", choices=[], scale=4, elem_id="library-delete-choice"
            )
            self.delete_button = gr.Button(
                "Delete (admin)", variant="stop", scale=1, elem_id="library-delete"
            )
        self.confirm_delete = Confirmation("library-confirm-delete", "Delete")

        self.upload_button.click(
            raises_errors(self.upload),
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
            shows_errors(self.poll),
            inputs=self.watched,
            outputs=[self.progress, self.timer, self.table, self.to_delete],
            api_visibility="private",
            **limits.POLL,
        )
        self.refresh_button.click(
            shows_errors(self.refresh), outputs=self.listing_outputs, api_visibility="private"
        )
        self.delete_button.click(
            self.sessions.required(self.ask_delete),
            inputs=self.to_delete,
            outputs=self.confirm_delete.ask_outputs,
            api_visibility="private",
        )
        self.to_delete.change(
            self.confirm_delete.hide, outputs=self.confirm_delete.box, api_visibility="private"
        )
        self.confirm_delete.on_confirm(
            self.sessions.required(self.delete),
            inputs=self.to_delete,
            outputs=self.listing_outputs,
            api_name="admin_delete_document",
            api_visibility="private",
        )

    @property
    def listing_outputs(self) -> list[Any]:
        return [self.table, self.to_delete, self.collection]

    def upload(self, files: list[str] | None, collection: str | None) -> list[int]:
        """Queue one ingest job per file (the backend stores them under names of its own);
        the job ids."""
        if not files:
            raise formatting.ui_error("Choose one or more files first.")
        job_ids = self.services.ingest_paths(
            [Path(file) for file in files], collection or DEFAULT_COLLECTION
        )
        for file in files:
            # the backend keeps its own copy; drop Gradio's upload cache copy at once
            Path(file).unlink(missing_ok=True)
        return job_ids

    def watch(self, queued: list[int], watched: list[int]) -> tuple[list[int], Any, Any]:
        """Follow the new jobs, clear the file picker and start polling."""
        return [*queued, *watched][:WATCHED_JOBS_SHOWN], None, gr.Timer(active=True)

    def unfinished_ingest_jobs(self) -> list[int]:
        """Ingest jobs still queued or running (to follow after a page reload)."""
        return [job.id for job in self.services.list_jobs(kind="ingest") if not job.finished]

    def poll(self, watched: list[int]) -> tuple[Any, ...]:
        """Progress of the followed jobs and the document list; stops once all have ended."""
        jobs = [job for job in map(self.services.get_job, watched) if job is not None]
        running = any(not job.finished for job in jobs)
        return formatting.jobs_progress(jobs), gr.Timer(active=running), *self.documents()

    def documents(self) -> tuple[Any, Any]:
        """The document table and the delete choices."""
        documents = self.services.list_documents(limit=DOCUMENTS_SHOWN)
        return (
            formatting.document_rows(documents),
            gr.Dropdown(choices=formatting.document_choices(documents)),
        )

    def refresh(self) -> tuple[Any, ...]:
        """The document table, the delete choices and the collection choices."""
        collections = self.services.collections() or [DEFAULT_COLLECTION]
        return *self.documents(), gr.Dropdown(choices=collections)

    def ask_delete(self, session: AdminSession, document_id: int | None) -> tuple[Any, ...]:
        """Ask before deleting the chosen document (admin only)."""
        document = self._chosen(document_id)
        return Confirmation.ask(formatting.delete_question(document))

    def _chosen(self, document_id: int | None) -> DocumentInfo:
        if document_id is None:
            raise ValueError("Choose a document to delete.")
        document = self.services.get_document(int(document_id))
        if document is None:
            raise ValueError(f"There is no document #{document_id}.")
        return document

    def delete(self, session: AdminSession, document_id: int | None) -> tuple[Any, ...]:
        """Delete a document with its vectors and stored file (admin only)."""
        if document_id is None:
            raise formatting.ui_error("Choose a document to delete.")
        if not self.services.delete_document(int(document_id)):
            raise formatting.ui_error(f"There is no document #{document_id}.")
        gr.Info(f"Deleted document #{document_id}.")
        return self.refresh()
