"""What every group of :class:`~mexma_search.app.services.Services` operations shares: the
process's runtime, the job queue, the accounts, and the collection checks done before a write."""

from __future__ import annotations

from mexma_search import store as db
from mexma_search.app.access import Caller, Role
from mexma_search.app.job_queue import JobQueue
from mexma_search.app.runtime import Runtime
from mexma_search.app.settings import Settings
from mexma_search.app.users import Accounts
from mexma_search.store import read_scope

DEFAULT_COLLECTION = "default"
MAX_COLLECTION_NAME = 200


class ServiceBase:
    """The runtime and job queue the operations share (see
    :func:`mexma_search.jobs.backends.open_services` for the queue the settings name)."""

    def __init__(self, runtime: Runtime, queue: JobQueue) -> None:
        self.runtime = runtime
        self.queue = queue
        self.accounts = Accounts(runtime.engine, runtime.settings)

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    def caller_for_user(self, name: str) -> Caller | None:
        """What the user called ``name`` may read and write now (None: no such user)."""
        return self.accounts.caller_for_user(name)

    def collections(self, *, caller: Caller | None = None) -> list[str]:
        """The names of the document collections (with ``caller``, those it may read)."""
        with read_scope(self.runtime.engine) as session:
            names = [collection.name for collection in db.list_collections(session)]
        return [name for name in names if caller is None or caller.may_read(name)]

    def _check_writable(self, caller: Caller | None, collection: str) -> None:
        if caller is None or caller.may_write(collection):
            return
        if caller.role is Role.EDITOR and collection not in self.collections():
            self.accounts.grant(collection, user=caller.name, level="write")
            return
        raise PermissionError(f"{caller.name} may not add documents to {collection!r}")


def check_collection(name: str) -> str:
    """``name`` without surrounding spaces; ValueError when empty or too long."""
    name = name.strip()
    if not name or len(name) > MAX_COLLECTION_NAME:
        raise ValueError(f"a collection name has 1 to {MAX_COLLECTION_NAME} characters")
    return name
