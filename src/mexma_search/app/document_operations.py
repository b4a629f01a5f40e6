"""The library's listing: a filtered page of the documents."""

from __future__ import annotations

from dataclasses import dataclass

from mexma_search import store as db
from mexma_search.app.access import Caller
from mexma_search.app.caller_checks import readable_collections
from mexma_search.app.runtime import Runtime
from mexma_search.app.views import DocumentInfo
from mexma_search.store import DocumentStatus, read_scope

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
