"""Documents: the text encoding a plain-text file was read in (``encoding``; null for PDF,
DOCX and TMX, and for documents parsed before it was recorded).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("documents", sa.Column("encoding", sa.String(40), nullable=True))


def downgrade() -> None:
    op.drop_column("documents", "encoding")
