"""Reading one document and its passages, for a caller allowed to read its collection."""

from __future__ import annotations

from dataclasses import dataclass

from mexma_search.app.access import Caller
from mexma_search.app.caller_checks import check_read
from mexma_search.app.runtime import Runtime
from mexma_search.app.views import DocumentInfo, Record
from mexma_search.store import Chunk, Document, chunks_of_documents, get_document, read_scope


@dataclass(frozen=True)
class PassageInfo(Record):
    """A passage of a document, in reading order (``start``/``end`` are offsets in its text)."""

    document_id: int
    chunk: int
    chunk_id: int
    lang: str | None
    text: str
    start: int
    end: int

    @classmethod
    def from_row(cls, chunk: Chunk) -> PassageInfo:
        return cls(
            document_id=chunk.document_id,
            chunk=chunk.ordinal,
            chunk_id=chunk.id,
            lang=chunk.language,
            text=chunk.text,
            start=chunk.start_offset,
            end=chunk.end_offset,
        )


def _readable(document: Document | None, caller: Caller) -> Document | None:
    """``document``, or None when there is none; PermissionError when ``caller`` may not
    read its collection."""
    if document is not None:
        check_read(caller, document.collection.name)
    return document


def document_info(runtime: Runtime, document_id: int, caller: Caller) -> DocumentInfo | None:
    """One document (with its number of passages), or None."""
    with read_scope(runtime.engine) as session:
        document = _readable(get_document(session, document_id), caller)
        if document is None:
            return None
        return DocumentInfo.from_row(document, document.collection.name)


def document_passages(
    runtime: Runtime, document_id: int, caller: Caller
) -> list[PassageInfo] | None:
    """A document's passages in reading order, or None when there is no such document."""
    with read_scope(runtime.engine) as session:
        if _readable(get_document(session, document_id), caller) is None:
            return None
        chunks = chunks_of_documents(session, [document_id])[document_id]
        return [PassageInfo.from_row(chunk) for chunk in chunks]
