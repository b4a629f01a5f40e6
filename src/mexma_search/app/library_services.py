"""Library operations of :class:`~mexma_search.app.services.Services`: uploading files into a
collection, reading, rereading and deleting documents, and checking the database against the
index.

In embedded mode a worker must run in this process
(:class:`~mexma_search.jobs.inprocess.InProcessWorker`) for queued ingest jobs to make progress;
without one they wait and resume at the next start.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from mexma_search import store as db
from mexma_search.app import doctor
from mexma_search.app.access import OPERATOR, Caller, may_delete, owner_name
from mexma_search.app.caller_checks import readable_collections
from mexma_search.app.doctor import DoctorReport
from mexma_search.app.document_operations import (
    LibraryPage,
    LibraryQuery,
    library_page,
    queue_reread,
)
from mexma_search.app.document_reads import PassageInfo, document_info, document_passages
from mexma_search.app.job_services import JobServices
from mexma_search.app.queues import Step
from mexma_search.app.service_base import DEFAULT_COLLECTION, check_collection
from mexma_search.app.translation_memories import delete_tms
from mexma_search.app.uploads import Upload, discard, record_upload, store_upload
from mexma_search.app.views import DocumentInfo
from mexma_search.store import DocumentStatus, read_scope, session_scope
from mexma_search.store.translation_memory import tms_of_document

# uploads recorded and queued per commit
UPLOAD_BATCH = 64


class LibraryServices(JobServices):
    """The documents of the collections: their upload (whose jobs it may wait for), reading and
    removal."""

    def ingest_paths(
        self,
        paths: Iterable[Path | str],
        collection: str = DEFAULT_COLLECTION,
        *,
        wait: bool = False,
        timeout: float | None = None,
        caller: Caller | None = None,
    ) -> list[int]:
        """Store files (directories and zip archives expand to one document per file) and
        queue one ingest job each; the job ids, in input order.

        Each path is one upload, stored whole before any of its jobs is queued. Files that
        cannot be stored (unsupported type) and duplicates of a document already in the
        collection get a job that has already ended and says why; an upload that unpacks to
        more than the size limit keeps nothing and gets one such job. PermissionError, with
        nothing stored, when ``caller`` may not write to the collection (an editor who names a
        new collection creates it and may write to it).
        """
        collection = check_collection(collection)
        self._check_writable(caller, collection)
        assert self.settings.uploads_dir is not None
        max_bytes = self.settings.max_upload_mb << 20
        job_ids: list[int] = []
        for path in paths:
            uploads = store_upload(Path(path), self.settings.uploads_dir, max_bytes)
            job_ids.extend(self._record_uploads(uploads, collection, owner_name(caller)))
        if wait:
            self.wait_for_jobs(job_ids, timeout)
        return job_ids

    def _record_uploads(
        self, uploads: Sequence[Upload], collection: str, owner: str | None
    ) -> list[int]:
        """Record the uploads and queue their jobs, a batch per commit; a batch that cannot be
        recorded leaves no stored file behind, its own nor those of the batches after it."""
        job_ids: list[int] = []
        for start in range(0, len(uploads), UPLOAD_BATCH):
            try:
                with session_scope(self.runtime.engine) as session:
                    jobs = [
                        record_upload(session, upload, collection, owner)
                        for upload in uploads[start : start + UPLOAD_BATCH]
                    ]
            except BaseException:
                discard(uploads[start:])
                raise
            for job_id, queued in jobs:
                if queued:
                    self.queue.enqueue(job_id, Step.INGEST)
            job_ids.extend(job_id for job_id, _ in jobs)
        return job_ids

    def doctor(self, *, repair: bool = False) -> DoctorReport:
        """Compare the database with the index (see :mod:`.doctor`); with ``repair``, also
        repair what was found."""
        if repair:
            return doctor.repair(self.runtime, self.queue)
        return doctor.examine(self.runtime)

    def list_documents(
        self,
        collection: str | None = None,
        status: str | None = None,
        limit: int = 100,
        offset: int = 0,
        caller: Caller | None = None,
    ) -> list[DocumentInfo]:
        """Documents, newest first (with ``caller``, of the collections it may read)."""
        collections = readable_collections(caller, collection)
        if collections == []:
            return []
        with read_scope(self.runtime.engine) as session:
            rows = db.list_documents(
                session,
                collection=collections,
                status=DocumentStatus(status) if status else None,
                limit=limit,
                offset=offset,
            )
            return [
                DocumentInfo.from_row(row.document, row.document.collection.name) for row in rows
            ]

    def library_page(self, query: LibraryQuery, *, caller: Caller | None = None) -> LibraryPage:
        """A filtered page of the library (with ``caller``, of the collections it may read;
        see :mod:`mexma_search.app.document_operations`)."""
        return library_page(self.runtime, query, caller)

    def get_document(self, document_id: int, *, caller: Caller) -> DocumentInfo | None:
        """One document, or None; PermissionError if ``caller`` may not read it."""
        return document_info(self.runtime, document_id, caller)

    def document_passages(self, document_id: int, *, caller: Caller) -> list[PassageInfo] | None:
        """A document's passages in reading order, or None when there is no such document;
        PermissionError if ``caller`` may not read it."""
        return document_passages(self.runtime, document_id, caller)

    def delete_document(self, document_id: int, *, caller: Caller | None = None) -> bool:
        """Delete a document's rows, vectors and stored file; False if there is no such one
        that ``caller`` may read, PermissionError if they may read but not delete it (editors
        delete their own uploads, admins any)."""
        with session_scope(self.runtime.engine) as session:
            document = db.get_document(session, document_id)
            if document is None or not (caller or OPERATOR).may_read(document.collection.name):
                return False
            if caller is not None and not may_delete(
                caller, document.collection.name, document.owner
            ):
                raise PermissionError(f"{caller.name} may not delete document #{document_id}")
            stored_path = document.stored_path
            memories = tms_of_document(session, document_id)
            db.delete_document(session, document_id)
        self.runtime.index.delete_document(document_id)
        delete_tms(self.runtime, memories)
        if stored_path:
            Path(stored_path).unlink(missing_ok=True)
        return True

    def reread_document(
        self, document_id: int, encoding: str, *, caller: Caller | None = None
    ) -> int:
        """Queue a job that reads a plain-text document again in ``encoding``; its id. See
        :func:`~mexma_search.app.document_operations.queue_reread` for the refusals."""
        return queue_reread(self.runtime, self.queue, document_id, encoding, caller)
