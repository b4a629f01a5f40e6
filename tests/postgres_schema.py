"""Throwaway PostgreSQL schemas: an empty database on a shared server for one test run or
benchmark, dropped afterwards, so the server is left as it was found."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy import make_url

# the local server of development machines and CI (trust authentication)
LOCAL_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CONNECT_TIMEOUT_S = 3


def postgres_answers(url: str = LOCAL_POSTGRES_URL) -> bool:
    """Whether the PostgreSQL server of ``url`` accepts connections."""
    try:
        psycopg.connect(**_connect_args(url)).close()
    except psycopg.OperationalError:
        return False
    return True


@contextmanager
def throwaway_schema(prefix: str, url: str = LOCAL_POSTGRES_URL) -> Iterator[str]:
    """``url`` with a new, empty schema ``<prefix>_<random>`` as its search path; the schema
    and everything in it are dropped when the block ends."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**_connect_args(url), autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{url}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(**_connect_args(url), autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def _connect_args(url: str) -> dict[str, Any]:
    parsed = make_url(url)
    arguments = {
        "host": parsed.host,
        "port": parsed.port,
        "user": parsed.username,
        "password": parsed.password,
        "dbname": parsed.database,
        "connect_timeout": CONNECT_TIMEOUT_S,
    }
    return {key: value for key, value in arguments.items() if value is not None}
