"""The ORM schema of accounts and access: users, groups and their members, and the grants
that open a collection to a user or a group (Alembic revision ``0005`` creates them)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from mexma_search.store.tables import Base, Collection, _enum
from mexma_search.store.types import JSONType, UTCDateTime, utcnow

MAX_NAME = 200


class AccountRole(enum.StrEnum):
    """What a user may do (the services layer's ``Role`` has the same values)."""

    READER = "reader"
    EDITOR = "editor"
    ADMIN = "admin"


class User(Base):
    """A person who logs in; ``password`` is an scrypt record (salt, parameters, digest)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME), unique=True)
    role: Mapped[AccountRole] = mapped_column(_enum(AccountRole, "account_role"))
    password: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Group(Base):
    """A named set of users that collections can be granted to."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GroupMember(Base):
    """One user in one group."""

    __tablename__ = "group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CollectionGrant(Base):
    """A collection opened to one user or one group: to read, or (``write``) also to upload
    into it and delete one's own documents in it."""

    __tablename__ = "collection_grants"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (group_id IS NULL)", name="one_principal"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        ForeignKey(Collection.id, ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    write: Mapped[bool] = mapped_column(Boolean, default=False)
