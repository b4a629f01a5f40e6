"""The library's listing (a filtered page of the documents) and re-reading a document in
another encoding."""

from __future__ import annotations

from dataclasses import dataclass

from mexma_search import store as db
from mexma_search.app.access import OPERATOR, Caller, may_delete
from mexma_search.app.caller_checks import readable_collections
from mexma_search.app.job_queue import JobQueue
from mexma_search.app.queues import REREAD_ENCODING, Step
from mexma_search.app.runtime import Runtime
from mexma_search.app.views import DocumentInfo
from mexma_search.documents.encoding import text_encoding
from mexma_search.documents.registry import TEXT_EXTENSIONS
from mexma_search.store import DocumentStatus, JobKind, read_scope, session_scope

STATUSES = tuple(status.value for status in DocumentStatus)


@dataclass(frozen=True)
class LibraryQuery:
    """Which page of which documents: filters left None show every document."""

    collection: str | None = None
    status: str | None = None
    language: str | None = None
    page: int = 1  # from 1
    page_size: int = 50

    def filter(self, caller: Caller | None = None) -> db.DocumentFilter:
        """The store filter (with ``caller``, narrowed to the collections it may read);
        ValueError names an unknown status or a bad page."""
        if self.status is not None and self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}; one of {', '.join(STATUSES)}")
        if self.page < 1 or self.page_size < 1:
            raise ValueError("page and page size start at 1")
        status = DocumentStatus(self.status) if self.status else None
        collections = readable_collections(caller, self.collection)
        return db.DocumentFilter(collections, status, self.language)


@dataclass(frozen=True)
class LibraryPage:
    """One page of documents, newest first, and how many documents match in all."""

    documents: list[DocumentInfo]
    total: int
    page: int
    pages: int


def library_page(runtime: Runtime, query: LibraryQuery, caller: Caller | None) -> LibraryPage:
    """The documents of ``query``'s page that ``caller`` may read (None: every document); a
    page past the end shows the last one."""
    documents = query.filter(caller)
    with read_scope(runtime.engine) as session:
        total = db.count_documents(session, documents)
        pages = max(1, -(-total // query.page_size))
        page = min(query.page, pages)
        rows = db.list_documents(
            session,
            collection=documents.collection,
            status=documents.status,
            language=documents.language,
            limit=query.page_size,
            offset=(page - 1) * query.page_size,
        )
        shown = [DocumentInfo.from_row(row.document, row.document.collection.name) for row in rows]
    return LibraryPage(shown, total, page, pages)


# what a document's ingest may still be doing: a re-read waits until it is done
_BUSY = (DocumentStatus.PENDING, DocumentStatus.PROCESSING)


def queue_reread(
    runtime: Runtime, queue: JobQueue, document_id: int, encoding: str, caller: Caller | None
) -> int:
    """Queue a job that reads a plain-text document's stored upload again in ``encoding``
    (its old passages stay searchable until the new ones replace them); the job id.

    Raises:
        KeyError: no such document that ``caller`` may read.
        PermissionError: ``caller`` may read it but not change it (editors re-read their own
            uploads, admins any).
        ValueError: an unknown encoding, a format that names its own (PDF, DOCX, TMX), or a
            document still being ingested.
    """
    chosen = text_encoding(encoding)
    with session_scope(runtime.engine) as session:
        document = db.get_document(session, document_id)
        if document is None or not (caller or OPERATOR).may_read(document.collection.name):
            raise KeyError(f"no document #{document_id}")
        collection = document.collection.name
        if caller is not None and not may_delete(caller, collection, document.owner):
            raise PermissionError(f"{caller.name} may not re-read document #{document_id}")
        if f".{document.file_type}" not in TEXT_EXTENSIONS:
            raise ValueError(
                f"{document.filename} is a {document.file_type} file, which names its own "
                f"encoding; only {', '.join(TEXT_EXTENSIONS)} files can be read in another"
            )
        if document.status in _BUSY:
            raise ValueError(f"{document.filename} is still being ingested; try again after")
        parameters = {
            "document_id": document_id,
            "filename": document.filename,
            "collection": collection,
            REREAD_ENCODING: chosen,
        }
        job_id = db.create_job(session, JobKind.INGEST, parameters=parameters).id
    queue.enqueue(job_id, Step.INGEST)
    return job_id
