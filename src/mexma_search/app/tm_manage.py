"""Renaming and deleting translation memories.

A memory is changed as a document is deleted (:func:`~mexma_search.app.access.may_delete`):
admins change any; editors those they created, in collections they may write to. A memory is
named by its name, and by its collection when several collections have one of that name.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from mexma_search.app.access import OPERATOR, Caller, may_delete
from mexma_search.app.runtime import Runtime
from mexma_search.app.translation_memories import check_tm_name
from mexma_search.store import read_scope, session_scope
from mexma_search.store.tm_tables import TranslationMemory
from mexma_search.store.translation_memory import (
    TmSummary,
    count_segments,
    delete_tm,
    find_tms,
    get_tm,
    list_tms,
    tms_by_ids,
)
from mexma_search.tm.memory_index import delete_tm_points


class UnknownTmError(ValueError):
    """No translation memory of that name that the caller may read."""


@dataclass(frozen=True)
class TmChanged:
    """What a rename or a deletion did: the memory's collection, its name before and after
    (None once deleted), and how many segments it holds (held, when deleted)."""

    collection: str
    name: str
    new_name: str | None
    segments: int


def rename(
    runtime: Runtime, caller: Caller | None, name: str, new_name: str, collection: str | None
) -> TmChanged:
    """Give memory ``name`` the name ``new_name`` (its segments and vectors stay as they are:
    the index knows a memory by its id). ValueError for an invalid or taken name."""
    new_name = check_tm_name(new_name)
    with session_scope(runtime.engine) as session:
        memory = _one_tm(session, caller or OPERATOR, name, collection)
        where = memory.collection.name
        if new_name == memory.name:
            raise ValueError(f"translation memory {where}/{name} is already called {new_name!r}")
        if get_tm(session, where, new_name) is not None:
            raise ValueError(
                f"collection {where!r} already has a translation memory named {new_name!r}"
            )
        memory.name = new_name
        return TmChanged(where, name, new_name, count_segments(session, memory.id))


def delete(runtime: Runtime, caller: Caller | None, name: str, collection: str | None) -> TmChanged:
    """Delete memory ``name``: its segments, then its points in the index (the other memories
    stay searchable as they were)."""
    with session_scope(runtime.engine) as session:
        memory = _one_tm(session, caller or OPERATOR, name, collection)
        tm_id = memory.id
        changed = TmChanged(
            memory.collection.name, memory.name, None, count_segments(session, tm_id)
        )
        delete_tm(session, tm_id)
    delete_tm_points(runtime.index, tm_id)
    return changed


def manageable(runtime: Runtime, caller: Caller) -> list[TmSummary]:
    """The memories ``caller`` may rename and delete, by collection and name."""
    readable = None if caller.readable is None else sorted(caller.readable)
    with read_scope(runtime.engine) as session:
        memories = list_tms(session, readable)
        rows = tms_by_ids(session, [memory.id for memory in memories])
        return [m for m in memories if may_delete(caller, m.collection, rows[m.id].owner)]


def _one_tm(
    session: Session, caller: Caller, name: str, collection: str | None
) -> TranslationMemory:
    """The memory ``name`` (of ``collection`` when given) that ``caller`` may read and change.
    UnknownTmError when there is none, ValueError when several collections have one of that name,
    PermissionError when ``caller`` may read it but not change it."""
    readable = None if caller.readable is None else sorted(caller.readable)
    if collection is not None:
        readable = [collection] if caller.may_read(collection) else []
    found = find_tms(session, name, readable)
    if not found:
        where = f" in collection {collection!r}" if collection is not None else ""
        raise UnknownTmError(f"no translation memory named {name!r}{where}")
    if len(found) > 1:
        places = ", ".join(memory.collection.name for memory in found)
        raise ValueError(
            f"translation memories named {name!r} are in several collections ({places}): "
            "name the collection"
        )
    memory = found[0]
    if not may_delete(caller, memory.collection.name, memory.owner):
        raise PermissionError(
            f"{caller.name} may not change translation memory {memory.collection.name}/{name}: "
            "admins may, and the editor who created it"
        )
    return memory
