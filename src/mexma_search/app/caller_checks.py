"""The services' checks of a caller (:class:`~mexma_search.app.access.Caller`) against the
collections it reads or writes; no caller (the app's own work, the CLI) is never refused."""

from __future__ import annotations

from collections.abc import Sequence

from mexma_search.app.access import Caller


def check_read(caller: Caller | None, collection: str) -> None:
    """PermissionError when ``caller`` may not read ``collection``."""
    if caller is not None and not caller.may_read(collection):
        raise PermissionError(f"{caller.name} may not read collection {collection!r}")


def check_write(caller: Caller | None, collection: str) -> None:
    """PermissionError when ``caller`` may not change ``collection``."""
    if caller is not None and not caller.may_write(collection):
        raise PermissionError(f"{caller.name} may not change collection {collection!r}")


def readable_collections(
    caller: Caller | None, collection: str | Sequence[str] | None
) -> str | Sequence[str] | None:
    """The collection filter narrowed to what ``caller`` may read ([] when nothing is left)."""
    if caller is None or caller.readable is None:
        return collection
    if collection is None:
        return sorted(caller.readable)
    wanted = [collection] if isinstance(collection, str) else list(collection)
    return [name for name in wanted if caller.may_read(name)]
