"""Ingest throughput of distributed mode with 1, 2, ... ``mexma-search worker`` processes.

Wikipedia summaries (``shared/data/corpus``, one ``.txt`` per summary) are uploaded through
``Services.ingest_paths`` with MEXMA_MODE=distributed; the jobs travel over Redis to N worker
processes started with the ``mexma-search worker`` command, and the database (SQLite in WAL
mode, or a fresh PostgreSQL schema) is shared by all. Each run starts from an empty database
and broker. The workers get warm-up documents first (one per worker; each loads the model
once), then the clock runs from the upload of the measured documents until they are done.

The vector index is the limit of this machine: no Qdrant server runs here, and a local Qdrant
directory opens in one process only. So each topology says what it measures:

- ``ingest``: N workers on the ``ingest`` queue (parse, split, language id, chunk rows in SQL:
  what ``worker-cpu`` does in compose.yaml). Done = every job has reached its ``embedding``
  stage (its chunk rows are committed); the embed queue has no consumer. Fully real.
- ``full``: N workers on ``ingest,embed``, **each with its own in-memory index**: the points
  end up split across processes (nothing is searchable afterwards), so this measures
  throughput only. With a Qdrant server the upserts would be network calls instead.
- ``pipeline``: N ``ingest`` workers feeding one ``embed`` worker (compose.yaml's topology:
  ``worker-cpu`` scaled, one encoder worker); its index is in memory too.

Each worker runs ``--threads-per-worker`` torch threads (default 1: on a busy machine, two
OpenMP threads per process wait on each other and one worker with 2 threads encoded ~8x slower
than with 1). Encoding is CPU-bound, so N workers cannot encode faster than the cores allow;
parsing, job bookkeeping and SQL spread across processes.

    python bench/ingest_scaleout.py [--documents 300] [--workers 1 2] [--topology ingest full]
        [--database sqlite|postgresql] [--redis-url URL] [--threads-per-worker 1]
        [--models-dir DIR]

Results are printed and written as JSON into ``bench/results/``.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import redis
from sqlalchemy import create_engine, func, or_, select

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench.common import (  # noqa: E402
    DEFAULT_DATA_DIR,
    DEFAULT_MODELS_DIR,
    RESULTS_DIR,
    interleaved_summaries,
    machine,
    write_report,
)
from bench.encode_throughput import format_table  # noqa: E402
from bench.ingest_throughput import write_uploads  # noqa: E402
from mexma_search.app.access import OPERATOR  # noqa: E402
from mexma_search.app.queues import STAGE_EMBEDDING  # noqa: E402
from mexma_search.app.settings import Settings  # noqa: E402
from mexma_search.encoder.default_model import prepare_default_model  # noqa: E402
from mexma_search.jobs.backends import open_services  # noqa: E402
from mexma_search.store import Chunk, Job, JobStatus  # noqa: E402
from tests.postgres_schema import throwaway_schema  # noqa: E402

LOCAL_REDIS = "redis://127.0.0.1:6379"
REDIS_BENCH_DB = 13  # the tests use 11
TOPOLOGIES = ("ingest", "full", "pipeline")
POLL_S = 0.1
WORKER_MAIN = "from mexma_search.cli import main; main()"  # ``mexma-search`` in this interpreter
STOP_TIMEOUT_S = 60


@dataclass(frozen=True)
class Run:
    """One measured run."""

    topology: str
    workers: int
    threads_per_worker: int
    documents: int
    chunks: int
    seconds: float
    chunks_per_s: float
    load_average_before: list[float]


def worker_groups(topology: str, workers: int) -> list[tuple[str, int]]:
    """(queues, process count) of the worker processes that ``topology`` starts."""
    if topology == "ingest":
        return [("ingest", workers)]
    if topology == "full":
        return [("ingest,embed", workers)]
    return [("ingest", workers), ("embed", 1)]


@contextmanager
def fresh_database(kind: str, directory: Path) -> Iterator[str]:
    """An empty database URL: SQLite in ``directory``, or a throwaway PostgreSQL schema."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'meta.db'}"
        return
    with throwaway_schema("bench") as url:
        yield url


def worker_env(settings: Settings, threads: int) -> dict[str, str]:
    """The environment of a worker process: ``settings``, its own in-memory index."""
    return {
        **os.environ,
        "MEXMA_MODE": "distributed",
        "MEXMA_REDIS_URL": str(settings.redis_url),
        "MEXMA_DATA_DIR": str(settings.data_dir),
        "MEXMA_MODELS_DIR": str(settings.models_dir),
        "MEXMA_DATABASE_URL": str(settings.database_url),
        "MEXMA_QDRANT_LOCATION": ":memory:",
        "MEXMA_DEFAULT_MODEL": settings.default_model,
        "MEXMA_DEVICE": "cpu",
        "MEXMA_CPU_THREADS": str(threads),
        "MEXMA_ENCODE_BATCH_SIZE": str(settings.encode_batch_size),
        "HF_HUB_OFFLINE": "1",
    }


@contextmanager
def running_workers(
    groups: Sequence[tuple[str, int]], env: dict[str, str]
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Start the worker processes; stop them (warm shutdown) at the end."""
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER_MAIN,
                "worker",
                f"--queues={queues}",
                "--loglevel=WARNING",
            ],
            env=env,
            cwd=REPO_ROOT,
        )
        for queues, count in groups
        for _ in range(count)
    ]
    try:
        yield processes
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(STOP_TIMEOUT_S)


def wait_for_jobs(
    database_url: str, job_ids: Sequence[int], *, ingest_only: bool, timeout: float
) -> float:
    """Block until the jobs are done (or, with ``ingest_only``, have their chunk rows); the
    ``time.perf_counter`` when they were. RuntimeError if one failed."""
    ids = Job.id.between(min(job_ids), max(job_ids))
    pending = Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING))
    if ingest_only:
        pending &= or_(Job.stage.is_(None), Job.stage != STAGE_EMBEDDING)
    pending_query = select(func.count()).where(ids, pending)
    failed_query = select(Job.error).where(ids, Job.status == JobStatus.FAILED).limit(1)
    engine = create_engine(database_url)
    deadline = time.perf_counter() + timeout
    try:
        while True:
            with engine.connect() as connection:
                left = connection.scalar(pending_query)
                failure = connection.scalar(failed_query)
            now = time.perf_counter()
            if failure is not None:
                raise RuntimeError(f"an ingest job failed: {failure}")
            if not left:
                return now
            if now > deadline:
                raise TimeoutError(f"{left} jobs not done after {timeout} s")
            time.sleep(POLL_S)
    finally:
        engine.dispose()


def count_chunk_rows(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(Chunk)) or 0)
    finally:
        engine.dispose()


def measure(
    topology: str,
    workers: int,
    uploads: tuple[list[Path], list[Path]],
    args: argparse.Namespace,
    model_dir: Path,
) -> Run:
    """One run of ``topology`` with ``workers`` processes on a fresh database and broker."""
    warmup, measured = uploads
    threads = args.threads_per_worker
    redis.Redis.from_url(args.redis_url).flushdb()
    with (
        tempfile.TemporaryDirectory(prefix="mexma-scaleout-") as scratch,
        fresh_database(args.database, Path(scratch)) as database_url,
    ):
        settings = Settings(
            mode="distributed",
            data_dir=Path(scratch),
            models_dir=model_dir.parent,
            default_model=str(model_dir),
            database_url=database_url,
            redis_url=args.redis_url,
            qdrant_location=":memory:",
            encode_batch_size=args.batch_size,
        )
        services = open_services(settings)
        ingest_only = topology == "ingest"
        groups = worker_groups(topology, workers)
        with running_workers(groups, worker_env(settings, threads)):
            warm_ids = services.ingest_paths(
                warmup[: sum(count for _, count in groups)], caller=OPERATOR
            )
            wait_for_jobs(database_url, warm_ids, ingest_only=ingest_only, timeout=args.timeout)
            before = count_chunk_rows(database_url)
            load = [round(x, 2) for x in os.getloadavg()]
            start = time.perf_counter()
            job_ids = services.ingest_paths(measured, caller=OPERATOR)
            end = wait_for_jobs(
                database_url, job_ids, ingest_only=ingest_only, timeout=args.timeout
            )
            chunks = count_chunk_rows(database_url) - before
        services.runtime.close()
    seconds = end - start
    return Run(topology, workers, threads, len(measured), chunks, seconds, chunks / seconds, load)


def default_redis_url() -> str:
    """The machine's Redis (a database of its own) if it answers, else nothing."""
    try:
        redis.Redis.from_url(LOCAL_REDIS, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        return ""
    return f"{LOCAL_REDIS}/{REDIS_BENCH_DB}"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=300, help="measured documents per run")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--topology", nargs="+", choices=TOPOLOGIES, default=["ingest", "full"])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--redis-url",
        default=default_redis_url(),
        help=f"broker (flushed before each run); default: database {REDIS_BENCH_DB} of "
        f"{LOCAL_REDIS} when it answers",
    )
    parser.add_argument("--threads-per-worker", type=int, default=1, help="torch threads")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if not args.redis_url:
        parser.error("no Redis answers on 127.0.0.1:6379: pass --redis-url")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    model_dir = prepare_default_model(args.models_dir).path
    summaries = interleaved_summaries(args.data_dir)
    warmup_count = max(args.workers) + 1
    with tempfile.TemporaryDirectory(prefix="mexma-scaleout-uploads-") as scratch:
        paths = write_uploads(
            summaries[: warmup_count + args.documents], Path(scratch) / "docs", "txt", 1
        )
        uploads = (paths[:warmup_count], paths[warmup_count:])
        runs = [
            measure(topology, workers, uploads, args, model_dir)
            for topology in args.topology
            for workers in args.workers
        ]
    print(
        format_table(
            ["topology", "workers", "threads each", "chunks", "seconds", "chunks/s", "load before"],
            [
                [
                    run.topology,
                    str(run.workers),
                    str(run.threads_per_worker),
                    str(run.chunks),
                    f"{run.seconds:.1f}",
                    f"{run.chunks_per_s:.1f}",
                    str(run.load_average_before),
                ]
                for run in runs
            ],
        )
    )
    report = {
        "benchmark": "ingest_scaleout",
        "database": args.database,
        "model": str(model_dir),
        "batch_size": args.batch_size,
        "machine": machine(),
        "runs": [asdict(run) for run in runs],
    }
    print(f"written to {write_report(report, args.out, 'ingest_scaleout')}")


if __name__ == "__main__":
    main()
