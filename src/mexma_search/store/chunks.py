"""Chunks, the passages cut from documents: replacing a document's chunks, reading them by id,
by document or in batches for re-embedding, and their languages. Functions take a session and
never commit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from mexma_search.store.documents import document_status_values
from mexma_search.store.tables import Chunk, Collection, Document, DocumentStatus, table_of


@dataclass(frozen=True)
class NewChunk:
    """A passage cut from a document's text (offsets into that text, end exclusive)."""

    ordinal: int
    text: str
    start_offset: int
    end_offset: int
    language: str | None = None
    sentences: Sequence[tuple[int, int]] = field(default_factory=tuple)


class ChunkInCollection(NamedTuple):
    """A chunk and the name of its document's collection (the index payload needs both), and
    its document's title (for embedding, where titles are prepended)."""

    chunk: Chunk
    collection: str
    title: str | None = None


def replace_chunks(
    session: Session,
    document_id: int,
    chunks: Sequence[NewChunk],
    *,
    status: DocumentStatus | None = None,
    error: str | None = None,
    languages: Sequence[str] | None = None,
) -> list[int]:
    """Make ``chunks`` the document's chunks (a re-run replaces the old ones); their ids.

    The ids are returned in the order of ``chunks`` and ``n_chunks`` is updated; with
    ``status``, the same UPDATE moves the document to it as :func:`set_document_status` does.
    """
    values: dict[str, object] = {"n_chunks": len(chunks)}
    if status is not None:
        values.update(document_status_values(status, error, languages))
    # table statements: the ORM's bulk machinery is a real share of a small document's ingest
    chunks_table, documents_table = table_of(Chunk), table_of(Document)
    session.execute(delete(chunks_table).where(chunks_table.c.document_id == document_id))
    session.execute(
        update(documents_table).where(documents_table.c.id == document_id).values(**values)
    )
    if not chunks:
        return []
    rows = [
        {
            "document_id": document_id,
            "ordinal": chunk.ordinal,
            "text": chunk.text,
            "language": chunk.language,
            "start_offset": chunk.start_offset,
            "end_offset": chunk.end_offset,
            "sentences": [[start, end] for start, end in chunk.sentences],
        }
        for chunk in chunks
    ]
    statement = insert(chunks_table).returning(chunks_table.c.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


def chunks_by_ids(session: Session, chunk_ids: Sequence[int]) -> dict[int, Chunk]:
    """The chunks with these ids (missing ones are left out), keyed by id."""
    if not chunk_ids:
        return {}
    chunks = session.scalars(select(Chunk).where(Chunk.id.in_(chunk_ids)))
    return {chunk.id: chunk for chunk in chunks}


def chunks_of_documents(session: Session, document_ids: Sequence[int]) -> dict[int, list[Chunk]]:
    """The chunks of each of these documents in reading order, by document (one query; a
    document without chunks, or that does not exist, maps to an empty list)."""
    found: dict[int, list[Chunk]] = {document_id: [] for document_id in document_ids}
    if not found:
        return found
    query = (
        select(Chunk)
        .where(Chunk.document_id.in_(list(found)))
        .order_by(Chunk.document_id, Chunk.ordinal)
    )
    for chunk in session.scalars(query):
        found[chunk.document_id].append(chunk)
    return found


def iter_chunk_batches(
    session: Session, batch_size: int = 512
) -> Iterator[list[ChunkInCollection]]:
    """All chunks, in id order, ``batch_size`` at a time (for re-embedding into a new index)."""
    last_id = 0
    while batch := chunks_after(session, last_id, batch_size):
        yield batch
        last_id = batch[-1].chunk.id


def chunks_after(session: Session, after_id: int, limit: int) -> list[ChunkInCollection]:
    """Up to ``limit`` chunks with ids above ``after_id``, in id order.

    A long re-embedding calls this with a short session per batch (and remembers the last id),
    so that it never holds a transaction open while it encodes.
    """
    query = (
        select(Chunk, Collection.name, Document.title)
        .join(Document, Chunk.document_id == Document.id)
        .join(Collection, Document.collection_id == Collection.id)
        .where(Chunk.id > after_id)
        .order_by(Chunk.id)
        .limit(limit)
    )
    return [ChunkInCollection(chunk, name, title) for chunk, name, title in session.execute(query)]


def count_chunks(session: Session) -> int:
    """The number of chunk rows."""
    return session.scalar(select(func.count()).select_from(Chunk)) or 0


def chunk_languages(session: Session, collections: Sequence[str] | None = None) -> list[str]:
    """The distinct languages of the stored chunks, sorted (with ``collections``, of the
    chunks of those collections' documents only)."""
    query = select(Chunk.language).where(Chunk.language.is_not(None)).distinct()
    if collections is not None:
        query = (
            query.join(Document, Chunk.document_id == Document.id)
            .join(Collection, Document.collection_id == Collection.id)
            .where(Collection.name.in_(list(collections)))
        )
    return sorted(language for language in session.scalars(query) if language)


def chunk_ids_by_document(session: Session) -> dict[int, set[int]]:
    """Every chunk row's id, by document."""
    found: dict[int, set[int]] = {}
    for document_id, chunk_id in session.execute(select(Chunk.document_id, Chunk.id)):
        found.setdefault(document_id, set()).add(chunk_id)
    return found
