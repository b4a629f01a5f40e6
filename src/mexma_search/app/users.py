"""Accounts and access rules: users with roles, groups, collection grants, and the
:class:`~mexma_search.app.access.Caller` each request is checked against.

Who reads a collection: admins every one; a user the collections granted to them or to one of
their groups, the public collections, and (with ``ungranted_collections = 'users'``) those
granted to nobody; a visitor who is not logged in, only the public collections, and only with
``anonymous_read``. Editors write to the collections granted to them for writing.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mexma_search.app.access import ANONYMOUS_NAME, RESERVED_NAMES, Caller, Role
from mexma_search.app.passwords import (
    UNKNOWN_USER_RECORD,
    check_new_password,
    hash_password,
    verify_password,
)
from mexma_search.app.settings import Settings
from mexma_search.store import AccountRole, read_scope, session_scope
from mexma_search.store import users as db
from mexma_search.store.users import GrantRow

# the scrypt hash of the password generated before accounts existed (read once, at upgrade)
LEGACY_PASSWORD_FILE = "admin-password.json"
NAME_PATTERN = re.compile(r"[\w.@+-]{1,200}")


@dataclass(frozen=True)
class UserInfo:
    """A user as the admin pages and the CLI list them."""

    name: str
    role: str
    groups: tuple[str, ...]
    created_at: datetime


def check_name(name: str, what: str = "user") -> str:
    """``name`` stripped, if it can name a user or group; ValueError otherwise."""
    name = name.strip()
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(
            f"a {what} name has 1 to 200 letters, digits or . _ @ + - (got {name[:40]!r})"
        )
    if name.lower() in RESERVED_NAMES:
        raise ValueError(f"{name!r} is reserved: choose another {what} name")
    return name


def check_role(role: str) -> Role:
    """The role called ``role``; ValueError naming the roles otherwise."""
    try:
        return Role(role.strip().lower())
    except ValueError:
        raise ValueError(
            f"unknown role {role!r}: choose one of {', '.join(r.value for r in Role)}"
        ) from None


class Accounts:
    """The users, groups and grants kept in the metadata database."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    # ----- who is asking ------------------------------------------------------------------

    def authenticate(self, name: str, password: str) -> str | None:
        """The user's name when ``password`` is theirs, else None (an unknown name costs the
        same time as a wrong password)."""
        with read_scope(self.engine) as session:
            user = db.get_user(session, name.strip())
            record = user.password if user is not None else UNKNOWN_USER_RECORD
            found = user.name if user is not None else None
        return found if verify_password(password, record) and found is not None else None

    def caller_for_user(self, name: str) -> Caller | None:
        """What the user called ``name`` may read and write now; None if there is none."""
        with read_scope(self.engine) as session:
            user = db.get_user(session, name)
            if user is None:
                return None
            role = Role(user.role.value)
            if role is Role.ADMIN:
                return Caller(name=user.name, role=role)
            granted = db.granted_collections(session, user.id)
            readable = granted.readable | db.public_collections(session)
            if self.settings.ungranted_collections == "users":
                readable |= db.ungranted_collections(session)
            writable = granted.writable if role is Role.EDITOR else frozenset()
        return Caller(name=user.name, role=role, readable=readable, writable=writable)

    def anonymous_caller(self) -> Caller | None:
        """The visitor who is not logged in: a reader of the public collections; None when
        ``anonymous_read`` is off."""
        if not self.settings.anonymous_read:
            return None
        with read_scope(self.engine) as session:
            public = db.public_collections(session)
        return Caller(name=ANONYMOUS_NAME, role=Role.READER, readable=public, writable=frozenset())

    # ----- users --------------------------------------------------------------------------

    def add_user(self, name: str, password: str, role: str = Role.READER) -> None:
        """A new user; ValueError for a bad or taken name, a short password, an unknown role."""
        name, chosen = check_name(name), check_role(role)
        record = hash_password(check_new_password(password))
        with session_scope(self.engine) as session:
            db.add_user(session, name, AccountRole(chosen.value), record)

    def list_users(self) -> list[UserInfo]:
        """Every user, by name, with their groups."""
        with read_scope(self.engine) as session:
            members = db.groups_with_members(session)
            return [
                UserInfo(
                    name=user.name,
                    role=user.role.value,
                    groups=tuple(g for g, names in members.items() if user.name in names),
                    created_at=user.created_at,
                )
                for user in db.list_users(session)
            ]

    def set_role(self, name: str, role: str) -> None:
        """Give a user another role; LookupError for an unknown user, ValueError when it would
        leave no admin."""
        chosen = AccountRole(check_role(role).value)
        with session_scope(self.engine) as session:
            user = db.require_user(session, name)
            if user.role == AccountRole.ADMIN and chosen != AccountRole.ADMIN:
                _keep_an_admin(session)
            user.role = chosen

    def set_password(self, name: str, password: str) -> None:
        """Replace a user's password; LookupError for an unknown user."""
        record = hash_password(check_new_password(password))
        with session_scope(self.engine) as session:
            db.require_user(session, name).password = record

    def remove_user(self, name: str) -> bool:
        """Delete a user (their documents stay); False if there was none, ValueError for the
        last admin."""
        with session_scope(self.engine) as session:
            user = db.get_user(session, name)
            if user is not None and user.role == AccountRole.ADMIN:
                _keep_an_admin(session)
            return db.remove_user(session, name)

    def ensure_first_admin(self, announce: Callable[[str], None] = print) -> None:
        """Create the admin account ``admin_username`` when no admin exists: with
        ``admin_password``, else the password generated before accounts existed, else a new
        one, which ``announce`` shows once."""
        with session_scope(self.engine) as session:
            if db.count_admins(session):
                return
            name = check_name(self.settings.admin_username)
            if self.settings.admin_password is not None:
                record = hash_password(self.settings.admin_password.get_secret_value())
            else:
                record = self._legacy_record() or self._generated(name, announce)
            existing = db.get_user(session, name)
            if existing is None:
                db.add_user(session, name, AccountRole.ADMIN, record)
            else:
                existing.role, existing.password = AccountRole.ADMIN, record

    def _legacy_record(self) -> dict[str, str] | None:
        path = self.settings.data_dir / LEGACY_PASSWORD_FILE
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return record if isinstance(record, dict) and "hash" in record else None

    @staticmethod
    def _generated(name: str, announce: Callable[[str], None]) -> dict[str, object]:
        password = secrets.token_urlsafe(12)
        announce(
            f"Admin login for the web UI: user {name!r}, password {password!r}\n"
            "(generated now and shown only once; only its hash is kept. Set "
            "MEXMA_ADMIN_PASSWORD before the first start to choose one, or use "
            "`mexma-search users set-password`.)"
        )
        return hash_password(password)

    # ----- groups and grants --------------------------------------------------------------

    def add_group(self, name: str) -> None:
        """A new, empty group; ValueError for a bad or taken name."""
        with session_scope(self.engine) as session:
            db.add_group(session, check_name(name, "group"))

    def remove_group(self, name: str) -> bool:
        """Delete a group and its grants; False if there was none."""
        with session_scope(self.engine) as session:
            return db.remove_group(session, name)

    def set_membership(self, group: str, user: str, member: bool = True) -> None:
        """Put a user into a group, or (``member=False``) take them out."""
        with session_scope(self.engine) as session:
            db.set_membership(session, group, user, member)

    def groups(self) -> dict[str, list[str]]:
        """Every group's name -> its members' names."""
        with read_scope(self.engine) as session:
            return db.groups_with_members(session)

    def grant(
        self,
        collection: str,
        *,
        user: str | None = None,
        group: str | None = None,
        level: str | None = "read",
    ) -> None:
        """Open a collection to a user or a group to ``read`` or ``write`` (None: close it to
        them); LookupError for an unknown user or group."""
        with session_scope(self.engine) as session:
            db.set_grant(session, collection.strip(), user=user, group=group, level=level)

    def grants(self) -> list[GrantRow]:
        """Every grant, by collection."""
        with read_scope(self.engine) as session:
            return db.list_grants(session)

    def set_public(self, collection: str, public: bool = True) -> None:
        """Open a collection to everyone (see the module's rules), or close it again."""
        with session_scope(self.engine) as session:
            db.set_public(session, collection.strip(), public)

    def public_collections(self) -> list[str]:
        """The collections open to everyone, by name."""
        with read_scope(self.engine) as session:
            return sorted(db.public_collections(session))


def _keep_an_admin(session: Session) -> None:
    if db.count_admins(session) <= 1:
        raise ValueError("this is the last admin: make another user admin first")
