"""Collections and documents: the queries the services and tasks use (their chunks:
:mod:`.chunks`).

Functions take a session and never commit: the caller's ``session_scope`` is the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar, cast

from sqlalchemy import CursorResult, Select, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from mexma_search.store.tables import Chunk, Collection, Document, DocumentStatus


@dataclass(frozen=True)
class NewDocument:
    """What is known about an upload before it is parsed."""

    collection: str
    content_hash: str
    filename: str
    file_type: str
    size_bytes: int
    stored_path: str
    owner: str | None = None


class DocumentWithChunks(NamedTuple):
    """A document and how many chunk rows it has."""

    document: Document
    chunk_count: int


def get_or_create_collection(session: Session, name: str) -> Collection:
    """The collection called ``name``, created if it does not exist yet."""
    existing = session.scalar(select(Collection).where(Collection.name == name))
    if existing is not None:
        return existing
    try:
        with session.begin_nested():
            collection = Collection(name=name)
            session.add(collection)
    except IntegrityError:
        # another writer created it between the select and the insert
        return session.scalars(select(Collection).where(Collection.name == name)).one()
    return collection


def get_collection(session: Session, name: str) -> Collection | None:
    """The collection called ``name``, or None."""
    return session.scalar(select(Collection).where(Collection.name == name))


def list_collections(session: Session) -> list[Collection]:
    """All collections, by name."""
    return list(session.scalars(select(Collection).order_by(Collection.name)))


def add_document(session: Session, new: NewDocument) -> Document:
    """Record an upload; the collection is created on first use.

    When the collection already holds a file with the same content hash, the new row gets
    status ``duplicate`` and ``duplicate_of_id`` set to the original (which the caller may
    re-process if it failed), so the returned row's status tells the caller whether to ingest.
    """
    collection = get_or_create_collection(session, new.collection)
    fields = {
        "collection_id": collection.id,
        "content_hash": new.content_hash,
        "filename": new.filename,
        "file_type": new.file_type,
        "size_bytes": new.size_bytes,
        "stored_path": new.stored_path,
        "owner": new.owner,
    }
    original = _original_with_hash(session, collection.id, new.content_hash)
    if original is None:
        try:
            with session.begin_nested():
                document = Document(**fields)
                session.add(document)
            return document
        except IntegrityError:
            # a concurrent upload of the same file won the unique index
            original = _original_with_hash(session, collection.id, new.content_hash)
            assert original is not None
    document = Document(**fields, status=DocumentStatus.DUPLICATE, duplicate_of_id=original.id)
    session.add(document)
    session.flush()
    return document


def _original_with_hash(session: Session, collection_id: int, content_hash: str) -> Document | None:
    return session.scalar(
        select(Document).where(
            Document.collection_id == collection_id,
            Document.content_hash == content_hash,
            Document.status != DocumentStatus.DUPLICATE,
        )
    )


def get_document(session: Session, document_id: int) -> Document | None:
    """The document with this id, or None."""
    return session.get(Document, document_id)


def get_documents(session: Session, document_ids: Sequence[int]) -> dict[int, Document]:
    """The documents with these ids that exist, with their collection, by id (one query)."""
    if not document_ids:
        return {}
    query = (
        select(Document)
        .where(Document.id.in_(list(document_ids)))
        .options(joinedload(Document.collection))
    )
    return {document.id: document for document in session.scalars(query)}


def document_names(session: Session, document_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """By id, the file name and the title shown (the parsed title, else the file name) of the
    documents with these ids that exist (one query)."""
    if not document_ids:
        return {}
    query = select(Document.id, Document.filename, Document.title).where(
        Document.id.in_(list(document_ids))
    )
    return {id_: (filename, title or filename) for id_, filename, title in session.execute(query)}


def existing_documents(session: Session, document_ids: Sequence[int]) -> set[int]:
    """Which of these document ids still exist (one query)."""
    if not document_ids:
        return set()
    return set(session.scalars(select(Document.id).where(Document.id.in_(list(document_ids)))))


def set_document_status(
    session: Session,
    document_id: int,
    status: DocumentStatus,
    *,
    error: str | None = None,
    languages: Sequence[str] | None = None,
) -> None:
    """Move a document to ``status``; ``error`` is cleared unless given."""
    values = document_status_values(status, error, languages)
    session.execute(update(Document).where(Document.id == document_id).values(**values))


def set_document_title(
    session: Session, document_id: int, title: str | None, encoding: str | None = None
) -> None:
    """Record the title parsed from the document's file (None: it has none) and the text
    encoding it was read in (None: not a plain-text format)."""
    statement = update(Document).where(Document.id == document_id)
    session.execute(statement.values(title=title, encoding=encoding))


def start_processing(session: Session, document_id: int) -> Document | None:
    """Mark a document processing (its error cleared) and return it; None if it no longer
    exists (one statement)."""
    statement = (
        update(Document)
        .where(Document.id == document_id)
        .values(**document_status_values(DocumentStatus.PROCESSING, None, None))
        .returning(Document)
    )
    return session.scalars(statement).one_or_none()


def document_status_values(
    status: DocumentStatus, error: str | None, languages: Sequence[str] | None
) -> dict[str, object]:
    """The column values that move a document to ``status`` (with ``languages``, those too)."""
    values: dict[str, object] = {"status": status, "error": error}
    if languages is not None:
        values["languages"] = sorted(set(languages))
    return values


def set_documents_indexed(session: Session, document_ids: Sequence[int]) -> None:
    """Mark these documents indexed (one UPDATE)."""
    if document_ids:
        session.execute(
            update(Document)
            .where(Document.id.in_(list(document_ids)))
            .values(status=DocumentStatus.INDEXED, error=None)
        )


AnySelect = TypeVar("AnySelect", bound=Select)


@dataclass(frozen=True)
class DocumentFilter:
    """Which documents a listing shows: any of these left None does not filter."""

    collection: str | Sequence[str] | None = None  # one name or any of several
    status: DocumentStatus | None = None
    language: str | None = None  # documents with at least one passage in this language

    def apply(self, query: AnySelect) -> AnySelect:
        """``query`` (over Document) narrowed by this filter."""
        if self.collection is not None:
            names = [self.collection] if isinstance(self.collection, str) else self.collection
            query = query.join(Collection).where(Collection.name.in_(list(names)))
        if self.status is not None:
            query = query.where(Document.status == self.status)
        if self.language is not None:
            in_language = select(Chunk.document_id).where(Chunk.language == self.language)
            query = query.where(Document.id.in_(in_language))
        return query


def list_documents(
    session: Session,
    *,
    collection: str | Sequence[str] | None = None,
    status: DocumentStatus | None = None,
    language: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[DocumentWithChunks]:
    """Documents, newest first, each with its number of chunk rows (in the collection, or
    the collections, named)."""
    chunk_counts = (
        select(Chunk.document_id, func.count().label("n")).group_by(Chunk.document_id).subquery()
    )
    query = (
        select(Document, func.coalesce(chunk_counts.c.n, 0))
        .outerjoin(chunk_counts, chunk_counts.c.document_id == Document.id)
        .order_by(Document.created_at.desc(), Document.id.desc())
        .limit(limit)
        .offset(offset)
    )
    query = DocumentFilter(collection, status, language).apply(query)
    return [DocumentWithChunks(document, count) for document, count in session.execute(query)]


def count_documents(session: Session, documents: DocumentFilter) -> int:
    """How many documents ``documents`` lets through."""
    query = documents.apply(select(func.count()).select_from(Document))
    return int(session.scalar(query) or 0)


def delete_document(session: Session, document_id: int) -> int | None:
    """Delete a document and (by cascade) its chunks; the number of chunks, None if absent."""
    n_chunks = session.scalar(select(func.count()).where(Chunk.document_id == document_id))
    statement = delete(Document).where(Document.id == document_id)
    result = cast("CursorResult[Any]", session.execute(statement))
    return n_chunks if result.rowcount else None


def document_states(session: Session) -> dict[int, tuple[DocumentStatus, str]]:
    """Every document's status and file name, by id."""
    rows = session.execute(select(Document.id, Document.status, Document.filename))
    return {document_id: (status, filename) for document_id, status, filename in rows}
