"""The Library tab: upload documents into a collection, follow their jobs, list and delete.

Each handler gets its caller from the session cookie: the list shows the collections they may
read; uploading needs the editor or admin role, deleting an editor's own document or admin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from mexma_search.app.access import Caller
from mexma_search.app.services import DEFAULT_COLLECTION, Services
from mexma_search.documents.registry import SUPPORTED_EXTENSIONS
from mexma_search.webapp import formatting, limits
from mexma_search.webapp.sessions import UserSessions

POLL_SECONDS = 1.0
DOCUMENTS_SHOWN = 500
WATCHED_JOBS_SHOWN = 200


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
        self.table = gr.Dataframe(
            headers=formatting.DOCUMENT_COLUMNS,
            interactive=False,
            wrap=True,
            elem_id="library-documents",
        )
        with gr.Row(equal_height=True):
            self.refresh_button = gr.Button("Refresh", scale=1)
            self.to_delete = gr.Dropdown(label="Document", choices=[], scale=4)
            self.delete_button = gr.Button("Delete", variant="stop", scale=1)

        with_caller, with_viewer = self.sessions.with_caller, self.sessions.with_viewer
        self.upload_button.click(
            with_caller(self.upload),
            inputs=[self.files, self.collection],
            outputs=self.queued,
            api_name="upload",
            **limits.UPLOAD,
        ).success(
            self.watch,
            inputs=[self.queued, self.watched],
            outputs=[self.watched, self.files, self.timer],
            api_visibility="private",
        )
        self.timer.tick(
            with_viewer(self.poll),
            inputs=self.watched,
            outputs=[self.progress, self.timer, self.table, self.to_delete],
            api_visibility="private",
            **limits.POLL,
        )
        self.refresh_button.click(
            with_viewer(self.refresh), outputs=self.listing_outputs, api_visibility="private"
        )
        self.delete_button.click(
            with_caller(self.delete),
            inputs=self.to_delete,
            outputs=self.listing_outputs,
            api_name="delete_document",
            api_visibility="private",
        )

    @property
    def listing_outputs(self) -> list[Any]:
        return [self.table, self.to_delete, self.collection]

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

    def poll(self, caller: Caller, watched: list[int]) -> tuple[Any, ...]:
        """Progress of the followed jobs and the document list; stops once all have ended."""
        found = (self.services.visible_job(job_id, caller=caller) for job_id in watched)
        jobs = [job for job in found if job is not None]
        running = any(not job.finished for job in jobs)
        return formatting.jobs_progress(jobs), gr.Timer(active=running), *self.documents(caller)

    def documents(self, caller: Caller) -> tuple[Any, Any]:
        """The document table and the delete choices."""
        documents = self.services.list_documents(limit=DOCUMENTS_SHOWN, caller=caller)
        return (
            formatting.document_rows(documents),
            gr.Dropdown(choices=formatting.document_choices(documents)),
        )

    def refresh(self, caller: Caller) -> tuple[Any, ...]:
        """The document table, the delete choices and the collection choices."""
        collections = self.services.collections(caller=caller) or [DEFAULT_COLLECTION]
        return *self.documents(caller), gr.Dropdown(choices=collections)

    def delete(self, caller: Caller, document_id: int | None) -> tuple[Any, ...]:
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
        return self.refresh(caller)
