"""Engines and sessions for SQLite (embedded mode) and PostgreSQL (distributed mode)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY_OPTION = "mexma_read_only"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; extra keyword arguments go to :func:`sqlalchemy.create_engine`.

    SQLite gets WAL journaling (readers never block the writer) with ``synchronous=NORMAL``,
    a 30 s busy timeout, foreign keys (for ON DELETE CASCADE) and ``BEGIN IMMEDIATE``
    transactions (deferred ones for :func:`read_scope`); PostgreSQL gets ``pool_pre_ping`` so
    connections dropped by a server restart are replaced.
    """
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN instead of the sqlite3 module's implicit one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a crashed process loses
    # nothing and the file cannot be corrupted; a power cut may undo the last commits.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    # A deferred transaction that reads and then writes fails at once with "database is locked"
    # when another writer committed in between (the busy timeout does not apply to that
    # upgrade). Taking the write lock at BEGIN makes writers queue on the busy timeout instead.
    # Read-only units (read_scope) never write, so they begin deferred and never wait on it.
    read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work: commits when the block ends, rolls back if it raises."""
    with make_session_factory(engine).begin() as session:
        yield session


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A read-only unit of work: one consistent snapshot, never committed (closing the session
    ends its transaction; the objects read stay loaded). On SQLite it does not take the write
    lock, so polling and search never delay the workers' commits."""
    with Session(engine, expire_on_commit=False) as session:
        # the connection's options are set before its transaction begins (_begin_immediate)
        session.connection(execution_options={READ_ONLY_OPTION: True})
        yield session
