"""The ORM schema of translation memories: named sets of translation pairs (segments) kept in
a collection, so that the collection's access rules apply to them (Alembic revision ``0007``
creates them)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mexma_search.store.tables import Base, Collection, Document, _enum
from mexma_search.store.types import UTCDateTime, utcnow

MAX_TM_NAME = 200


class SegmentOrigin(enum.StrEnum):
    """Where a translation pair came from."""

    TMX = "tmx"
    IMPORT = "import"
    MINED = "mined"
    ALIGNED = "aligned"


class TranslationMemory(Base):
    """A named translation memory in a collection; ``document_id`` names the library document
    (an uploaded TMX) it was read from, if any: deleting the document deletes it."""

    __tablename__ = "translation_memories"
    __table_args__ = (UniqueConstraint("collection_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        ForeignKey(Collection.id, ondelete="CASCADE"), index=True
    )
    collection: Mapped[Collection] = relationship(lazy="joined")
    name: Mapped[str] = mapped_column(String(MAX_TM_NAME))
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey(Document.id, ondelete="CASCADE"), index=True
    )
    owner: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TmSegment(Base):
    """One translation pair of a translation memory: the source and target text and their
    languages, where it came from, and an optional score (mining margin, alignment score)
    and note."""

    __tablename__ = "tm_segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    tm_id: Mapped[int] = mapped_column(
        ForeignKey(TranslationMemory.id, ondelete="CASCADE"), index=True
    )
    src_lang: Mapped[str] = mapped_column(String(16))
    trg_lang: Mapped[str] = mapped_column(String(16))
    src_text: Mapped[str] = mapped_column(Text)
    trg_text: Mapped[str] = mapped_column(Text)
    origin: Mapped[SegmentOrigin] = mapped_column(_enum(SegmentOrigin, "segment_origin"))
    score: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
