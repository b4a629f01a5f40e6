"""Queries on users, groups and collection grants.

Names are the keys callers use; a missing user, group or collection is a ``LookupError`` that
names it, a name taken already a ``ValueError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mexma_search.store.documents import get_or_create_collection
from mexma_search.store.tables import Collection
from mexma_search.store.user_tables import AccountRole, CollectionGrant, Group, GroupMember, User


@dataclass(frozen=True)
class GrantRow:
    """One grant as people read it: ``principal`` is ``user:NAME`` or ``group:NAME``."""

    collection: str
    principal: str
    write: bool


@dataclass(frozen=True)
class Access:
    """The collections granted to a user (directly or through a group)."""

    readable: frozenset[str]
    writable: frozenset[str]


Named = TypeVar("Named", User, Group)


def _get(session: Session, model: type[Named], name: str) -> Named | None:
    return session.scalar(select(model).where(model.name == name))


def _require(session: Session, model: type[Named], name: str) -> Named:
    found = _get(session, model, name)
    if found is None:
        raise LookupError(f"no {model.__tablename__.rstrip('s')} named {name!r}")
    return found


def _insert(session: Session, row: Named) -> Named:
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:
        what = type(row).__tablename__.rstrip("s")
        raise ValueError(f"a {what} named {row.name!r} exists already") from exc
    return row


def _remove(session: Session, model: type[Named], name: str) -> bool:
    found = _get(session, model, name)
    if found is None:
        return False
    session.delete(found)
    return True


def get_user(session: Session, name: str) -> User | None:
    """The user called ``name``, or None."""
    return _get(session, User, name)


def require_user(session: Session, name: str) -> User:
    """The user called ``name``; LookupError if there is none."""
    return _require(session, User, name)


def list_users(session: Session) -> list[User]:
    """All users, by name."""
    return list(session.scalars(select(User).order_by(User.name)))


def count_admins(session: Session) -> int:
    """How many users have the admin role."""
    return len(list(session.scalars(select(User.id).where(User.role == AccountRole.ADMIN))))


def add_user(session: Session, name: str, role: AccountRole, password: dict[str, Any]) -> User:
    """A new user; ValueError if the name is taken."""
    return _insert(session, User(name=name, role=role, password=password))


def remove_user(session: Session, name: str) -> bool:
    """Delete a user with their memberships and grants; False if there was none."""
    return _remove(session, User, name)


def require_group(session: Session, name: str) -> Group:
    """The group called ``name``; LookupError if there is none."""
    return _require(session, Group, name)


def add_group(session: Session, name: str) -> Group:
    """A new, empty group; ValueError if the name is taken."""
    return _insert(session, Group(name=name))


def remove_group(session: Session, name: str) -> bool:
    """Delete a group with its memberships and grants; False if there was none."""
    return _remove(session, Group, name)


def set_membership(session: Session, group: str, user: str, member: bool) -> None:
    """Put ``user`` into ``group`` or take them out (doing it twice changes nothing)."""
    group_id, user_id = require_group(session, group).id, require_user(session, user).id
    session.execute(
        delete(GroupMember).where(GroupMember.group_id == group_id, GroupMember.user_id == user_id)
    )
    if member:
        session.add(GroupMember(group_id=group_id, user_id=user_id))


def groups_with_members(session: Session) -> dict[str, list[str]]:
    """Every group's name -> its members' names, both sorted."""
    groups: dict[str, list[str]] = {g.name: [] for g in session.scalars(select(Group))}
    rows = session.execute(
        select(Group.name, User.name)
        .join(GroupMember, GroupMember.group_id == Group.id)
        .join(User, User.id == GroupMember.user_id)
    )
    for group, user in rows:
        groups[group].append(user)
    return {name: sorted(members) for name, members in sorted(groups.items())}


def set_grant(
    session: Session,
    collection: str,
    *,
    user: str | None = None,
    group: str | None = None,
    level: str | None,
) -> None:
    """Open ``collection`` (created if new) to one user or group: ``level`` 'read' or 'write';
    None takes their grant away."""
    if (user is None) == (group is None):
        raise ValueError("a grant names one user or one group")
    if level not in (None, "read", "write"):
        raise ValueError(f"a grant's level is read or write, not {level!r}")
    collection_id = get_or_create_collection(session, collection).id
    user_id = require_user(session, user).id if user is not None else None
    group_id = require_group(session, group).id if group is not None else None
    principal = (
        CollectionGrant.user_id == user_id
        if user_id is not None
        else CollectionGrant.group_id == group_id
    )
    session.execute(
        delete(CollectionGrant).where(CollectionGrant.collection_id == collection_id, principal)
    )
    if level is not None:
        session.add(
            CollectionGrant(
                collection_id=collection_id,
                user_id=user_id,
                group_id=group_id,
                write=level == "write",
            )
        )


def list_grants(session: Session) -> list[GrantRow]:
    """Every grant, by collection then principal."""
    rows = session.execute(
        select(Collection.name, User.name, Group.name, CollectionGrant.write)
        .join(Collection, Collection.id == CollectionGrant.collection_id)
        .outerjoin(User, User.id == CollectionGrant.user_id)
        .outerjoin(Group, Group.id == CollectionGrant.group_id)
    )
    grants = [
        GrantRow(collection, f"user:{user}" if user is not None else f"group:{group}", write)
        for collection, user, group, write in rows
    ]
    return sorted(grants, key=lambda grant: (grant.collection, grant.principal))


def granted_collections(session: Session, user_id: int) -> Access:
    """The collections granted to the user, directly or through their groups."""
    in_groups = select(GroupMember.group_id).where(GroupMember.user_id == user_id)
    rows = session.execute(
        select(Collection.name, CollectionGrant.write)
        .join(CollectionGrant, CollectionGrant.collection_id == Collection.id)
        .where(or_(CollectionGrant.user_id == user_id, CollectionGrant.group_id.in_(in_groups)))
    )
    readable: set[str] = set()
    writable: set[str] = set()
    for name, write in rows:
        readable.add(name)
        if write:
            writable.add(name)
    return Access(frozenset(readable), frozenset(writable))


def public_collections(session: Session) -> frozenset[str]:
    """The collections open to everyone."""
    return frozenset(session.scalars(select(Collection.name).where(Collection.public)))


def ungranted_collections(session: Session) -> frozenset[str]:
    """The collections that no user or group was granted."""
    granted = exists().where(CollectionGrant.collection_id == Collection.id)
    return frozenset(session.scalars(select(Collection.name).where(~granted)))


def set_public(session: Session, collection: str, public: bool) -> None:
    """Open ``collection`` (created if new) to everyone, or close it again."""
    get_or_create_collection(session, collection).public = public
