"""Translation memories: named sets of translation pairs in a collection, and their segments.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "translation_memories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_translation_memories_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_translation_memories_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_translation_memories")),
        sa.UniqueConstraint(
            "collection_id", "name", name=op.f("uq_translation_memories_collection_id_name")
        ),
    )
    for column in ("collection_id", "document_id"):
        op.create_index(op.f(f"ix_translation_memories_{column}"), "translation_memories", [column])
    origin = sa.Enum(
        "tmx",
        "import",
        "mined",
        "aligned",
        name="segment_origin",
        native_enum=False,
        create_constraint=True,
        length=16,
    )
    op.create_table(
        "tm_segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tm_id", sa.Integer(), nullable=False),
        sa.Column("src_lang", sa.String(length=16), nullable=False),
        sa.Column("trg_lang", sa.String(length=16), nullable=False),
        sa.Column("src_text", sa.Text(), nullable=False),
        sa.Column("trg_text", sa.Text(), nullable=False),
        sa.Column("origin", origin, nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tm_id"],
            ["translation_memories.id"],
            name=op.f("fk_tm_segments_tm_id_translation_memories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tm_segments")),
    )
    op.create_index(op.f("ix_tm_segments_tm_id"), "tm_segments", ["tm_id"])


def downgrade() -> None:
    op.drop_table("tm_segments")
    op.drop_table("translation_memories")
