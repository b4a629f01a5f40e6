"""Alembic environment: runs the revisions on the engine that
:func:`~mexma_search.store.migrate` passes."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from mexma_search.store.tables import Base

# any 64-bit constant shared by every process that migrates the same PostgreSQL database
PG_MIGRATION_LOCK_KEY = 0x4D45584D41


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # two services starting at once must not both create the tables
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_MIGRATION_LOCK_KEY})")
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the revisions on the configured engine."""
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        _run(connection)


if context.is_offline_mode():
    raise RuntimeError(
        "offline (SQL script) migrations are not supported: use mexma_search.store.migrate"
    )
run_migrations_online()
