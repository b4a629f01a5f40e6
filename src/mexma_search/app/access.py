"""Who is asking: the caller that every read and write of the services layer is checked against."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class Role(StrEnum):
    """What a caller may do: read, also upload and delete their own documents, or everything."""

    READER = "reader"
    EDITOR = "editor"
    ADMIN = "admin"


@dataclass(frozen=True)
class Caller:
    """A signed-in person, an API token's owner, or the anonymous reader.

    ``readable`` and ``writable`` name the collections the caller may read or write; ``None``
    means every collection (admins, and the app's own background work).
    """

    name: str
    role: Role
    readable: frozenset[str] | None = None
    writable: frozenset[str] | None = None

    def may_read(self, collection: str) -> bool:
        return self.readable is None or collection in self.readable

    def may_write(self, collection: str) -> bool:
        if self.role is Role.READER:
            return False
        return self.writable is None or collection in self.writable

    def at_most(self, role: Role) -> Caller:
        """This caller with no more than ``role``'s rights (an API token's scope), and
        never more collections."""
        if ROLE_ORDER.index(role) >= ROLE_ORDER.index(self.role):
            return self
        writable = frozenset() if role is Role.READER else self.writable
        return replace(self, role=role, writable=writable)


# the roles from fewest rights to most
ROLE_ORDER = (Role.READER, Role.EDITOR, Role.ADMIN)


ANONYMOUS_NAME = "anonymous"
OPERATOR_NAME = "operator"
# the command line on the server and the app's own work: every collection
OPERATOR = Caller(name=OPERATOR_NAME, role=Role.ADMIN)
# names no account may take: they name the callers above
RESERVED_NAMES = frozenset({ANONYMOUS_NAME, OPERATOR_NAME})


def may_delete(caller: Caller, collection: str, owner: str | None) -> bool:
    """Admins delete any document; editors their own in collections they may write to."""
    if caller.role is Role.ADMIN:
        return True
    return caller.may_write(collection) and owner == caller.name


def owner_name(caller: Caller | None) -> str | None:
    """The owner recorded for what ``caller`` uploads (None for the operator, or no caller)."""
    return None if caller is None or caller.name == OPERATOR_NAME else caller.name
