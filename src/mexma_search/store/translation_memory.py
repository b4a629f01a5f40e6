"""Queries on translation memories and their segments."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from mexma_search.store.documents import get_or_create_collection
from mexma_search.store.tables import Collection
from mexma_search.store.tm_tables import SegmentOrigin, TmSegment, TranslationMemory


@dataclass(frozen=True)
class NewSegment:
    """A translation pair to store."""

    src_lang: str
    trg_lang: str
    src_text: str
    trg_text: str
    score: float | None = None
    note: str | None = None


@dataclass(frozen=True)
class TmSummary:
    """A translation memory with its collection, size and language pairs (``src-trg``)."""

    id: int
    name: str
    collection: str
    segments: int
    pairs: tuple[str, ...]
    document_id: int | None


def get_tm(session: Session, collection: str, name: str) -> TranslationMemory | None:
    """The translation memory called ``name`` in ``collection``, or None."""
    return session.scalar(
        select(TranslationMemory)
        .join(Collection)
        .where(Collection.name == collection, TranslationMemory.name == name)
    )


def get_or_create_tm(
    session: Session,
    collection: str,
    name: str,
    *,
    owner: str | None = None,
    document_id: int | None = None,
) -> TranslationMemory:
    """The translation memory ``name`` of ``collection``, created (with the collection) when
    missing."""
    existing = get_tm(session, collection, name)
    if existing is not None:
        return existing
    memory = TranslationMemory(
        collection=get_or_create_collection(session, collection),
        name=name,
        owner=owner,
        document_id=document_id,
    )
    session.add(memory)
    session.flush()
    return memory


def add_segments(
    session: Session, tm_id: int, segments: Iterable[NewSegment], origin: SegmentOrigin
) -> list[TmSegment]:
    """Store ``segments`` in translation memory ``tm_id``, leaving out pairs it holds already
    (same languages and texts); the rows added, with their ids."""
    held = {
        (row.src_lang, row.trg_lang, row.src_text, row.trg_text)
        for row in session.execute(
            select(
                TmSegment.src_lang, TmSegment.trg_lang, TmSegment.src_text, TmSegment.trg_text
            ).where(TmSegment.tm_id == tm_id)
        )
    }
    added: list[TmSegment] = []
    for segment in segments:
        key = (segment.src_lang, segment.trg_lang, segment.src_text, segment.trg_text)
        if key in held:
            continue
        held.add(key)
        added.append(TmSegment(tm_id=tm_id, origin=origin, **segment.__dict__))
    session.add_all(added)
    session.flush()
    return added


def segments_by_ids(session: Session, ids: Sequence[int]) -> dict[int, TmSegment]:
    """The segments with these ids (missing ones left out)."""
    if not ids:
        return {}
    return {row.id: row for row in session.scalars(select(TmSegment).where(TmSegment.id.in_(ids)))}


def segments_after(session: Session, last_id: int, limit: int) -> list[TmSegment]:
    """Up to ``limit`` segments with an id above ``last_id``, in id order (for reindexing)."""
    return list(
        session.scalars(
            select(TmSegment).where(TmSegment.id > last_id).order_by(TmSegment.id).limit(limit)
        )
    )


def tms_by_ids(session: Session, ids: Iterable[int]) -> dict[int, TranslationMemory]:
    """The translation memories with these ids."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.scalars(select(TranslationMemory).where(TranslationMemory.id.in_(wanted)))
    return {row.id: row for row in rows}


def tms_of_document(session: Session, document_id: int) -> list[int]:
    """The ids of the translation memories read from library document ``document_id``."""
    return list(
        session.scalars(
            select(TranslationMemory.id).where(TranslationMemory.document_id == document_id)
        )
    )


def list_tms(session: Session, collections: Sequence[str] | None = None) -> list[TmSummary]:
    """Every translation memory (of ``collections`` when given), by collection and name."""
    query = select(TranslationMemory).join(Collection)
    if collections is not None:
        query = query.where(Collection.name.in_(collections))
    memories = list(session.scalars(query.order_by(Collection.name, TranslationMemory.name)))
    ids = [m.id for m in memories]
    counts: dict[int, int] = {
        tm_id: n
        for tm_id, n in session.execute(
            select(TmSegment.tm_id, func.count())
            .where(TmSegment.tm_id.in_(ids))
            .group_by(TmSegment.tm_id)
        )
    }
    pairs: dict[int, set[str]] = {}
    for tm_id, src, trg in session.execute(
        select(TmSegment.tm_id, TmSegment.src_lang, TmSegment.trg_lang)
        .where(TmSegment.tm_id.in_(ids))
        .distinct()
    ):
        pairs.setdefault(tm_id, set()).add(f"{src}-{trg}")
    return [
        TmSummary(
            id=m.id,
            name=m.name,
            collection=m.collection.name,
            segments=counts.get(m.id, 0),
            pairs=tuple(sorted(pairs.get(m.id, ()))),
            document_id=m.document_id,
        )
        for m in memories
    ]


def clear_segments(session: Session, tm_id: int) -> None:
    """Delete every segment of translation memory ``tm_id`` (a re-read replaces them)."""
    session.execute(delete(TmSegment).where(TmSegment.tm_id == tm_id))


def find_tms(
    session: Session, name: str, collections: Sequence[str] | None = None
) -> list[TranslationMemory]:
    """The translation memories called ``name`` (in ``collections`` when given), by
    collection."""
    query = select(TranslationMemory).join(Collection).where(TranslationMemory.name == name)
    if collections is not None:
        query = query.where(Collection.name.in_(collections))
    return list(session.scalars(query.order_by(Collection.name)))


def count_segments(session: Session, tm_id: int) -> int:
    """How many segments translation memory ``tm_id`` holds."""
    return session.scalar(select(func.count()).where(TmSegment.tm_id == tm_id)) or 0


def delete_tm(session: Session, tm_id: int) -> None:
    """Delete translation memory ``tm_id`` and its segments."""
    clear_segments(session, tm_id)
    session.execute(delete(TranslationMemory).where(TranslationMemory.id == tm_id))
