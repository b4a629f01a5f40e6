"""Documents as the Library tab shows them: the table's rows, the paging note, dropdown choices
and the questions asked before deleting or rereading one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mexma_search.app.views import DocumentInfo
from mexma_search.webapp.notices import question

DOCUMENT_COLUMNS = [
    "id",
    "document",
    "collection",
    "languages",
    "passages",
    "encoding",
    "status",
    "error",
]
# pixels: narrow screens scroll the table sideways instead of breaking headers mid-word
DOCUMENT_COLUMN_WIDTHS: list[str | int] = [56, 240, 120, 110, 100, 100, 100, 230]


def delete_question(document: DocumentInfo) -> str:
    """Asks before deleting ``document``."""
    return question(
        f"Delete document #{document.id} {document.filename} ({document.collection})?",
        f"Its {document.n_chunks} passages leave the index and its stored file is removed. "
        "This cannot be undone.",
    )


def reread_question(document: DocumentInfo, encoding: str) -> str:
    """Asks before reading ``document`` again in ``encoding``."""
    was = f" (it was read as {document.encoding})" if document.encoding else ""
    return question(
        f"Read document #{document.id} {document.filename} again as {encoding}{was}?",
        f"Its {document.n_chunks} passages stay searchable until the new ones replace them; "
        "if the file is not valid in that encoding, nothing changes.",
    )


def document_rows(documents: Sequence[DocumentInfo]) -> list[list[Any]]:
    """Rows of the document table (columns :data:`DOCUMENT_COLUMNS`)."""
    return [
        [
            d.id,
            d.filename,
            d.collection,
            ", ".join(d.languages),
            d.n_chunks,
            d.encoding or "",
            d.status,
            d.error or (f"duplicate of #{d.duplicate_of_id}" if d.duplicate_of_id else ""),
        ]
        for d in documents
    ]


def page_note(page: int, pages: int, total: int) -> str:
    """Where a listing page is, e.g. ``Page 2 of 5 · 230 documents``."""
    noun = "document" if total == 1 else "documents"
    return f"Page {page} of {pages} · {total} {noun}"


def document_choices(documents: Sequence[DocumentInfo]) -> list[tuple[str, int]]:
    """Dropdown choices ``(label, id)`` for documents."""
    return [(f"#{d.id} {d.filename} ({d.collection})", d.id) for d in documents]
