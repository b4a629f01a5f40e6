"""Helpers shared by the backend benchmarks (ingest_throughput, search_latency).

The corpus (Wikipedia summaries in en/fr/es from ``shared/data/corpus``), settings for an
embedded app in a scratch data directory, waiting for ingest jobs with one query per poll,
latency percentiles and writing the JSON report.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import zip_longest
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select

from mexma_search.app.services import Services
from mexma_search.app.settings import Settings
from mexma_search.documents import ParsedDocument, chunk_document
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.index import QdrantServerIndex, VectorIndex
from mexma_search.jobs.ingest import passage_budget
from mexma_search.store import Job, JobStatus

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
DEFAULT_MODELS_DIR = REPO_ROOT / "models"
RESULTS_DIR = REPO_ROOT / "bench" / "results"
LANGUAGES = ("en", "fr", "es")
POLL_S = 0.05


@dataclass(frozen=True)
class Summary:
    """One Wikipedia lead summary."""

    lang: str
    title: str
    text: str


def read_summaries(data_dir: Path, lang: str) -> list[Summary]:
    """The summaries of one language, in file order."""
    path = data_dir / "corpus" / f"wiki-summaries-{lang}.jsonl"
    with path.open(encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    return [Summary(lang, r["title"], r["text"]) for r in records if r["text"].strip()]


def interleaved_summaries(data_dir: Path, *, reverse: bool = False) -> list[Summary]:
    """All summaries, en/fr/es taking turns (from the end of each file with ``reverse``)."""
    per_language = [read_summaries(data_dir, lang) for lang in LANGUAGES]
    if reverse:
        per_language = [summaries[::-1] for summaries in per_language]
    return [s for group in zip_longest(*per_language) for s in group if s is not None]


def write_jsonl(summaries: Sequence[Summary], path: Path) -> Path:
    """Write summaries as a JSONL upload (fields ``title``, ``lang``, ``text``)."""
    with path.open("w", encoding="utf-8") as handle:
        for summary in summaries:
            record = {"title": summary.title, "lang": summary.lang, "text": summary.text}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def split_evenly(items: Sequence[Any], parts: int) -> list[Sequence[Any]]:
    """``items`` cut into ``parts`` consecutive slices of (almost) equal length."""
    bounds = [round(i * len(items) / parts) for i in range(parts + 1)]
    return [items[bounds[i] : bounds[i + 1]] for i in range(parts) if bounds[i] < bounds[i + 1]]


def chunk_counter(encoder: SentenceEncoder, max_tokens: int) -> Callable[[Summary], int]:
    """How many chunks the pipeline makes of a summary (its chunker and token budget)."""
    count_tokens, budget = passage_budget(encoder, max_tokens)

    def count(summary: Summary) -> int:
        parsed = ParsedDocument.from_text(summary.text, "txt")
        return len(chunk_document(parsed, max_tokens=budget, count_tokens=count_tokens))

    return count


def take_chunks(
    pool: Sequence[Summary], chunks: int, count: Callable[[Summary], int]
) -> tuple[list[Summary], int]:
    """The first summaries of ``pool`` that make at least ``chunks`` chunks (all of them if
    they make fewer); and how many chunks they make."""
    chosen: list[Summary] = []
    expected = 0
    for summary in pool:
        if expected >= chunks:
            break
        chosen.append(summary)
        expected += count(summary)
    return chosen, expected


def relax_local_sqlite(index: VectorIndex, collection: str, pragmas: Sequence[str]) -> None:
    """Run ``pragmas`` on the SQLite file where qdrant-client's local mode stores
    ``collection`` (it commits, and syncs, once per point); other engines are left alone.
    Reaches into private attributes: for benchmarks and experiments only."""
    if not isinstance(index, QdrantServerIndex) or not index._local:
        return
    storage = index._client._client.collections[collection].storage.storage
    for pragma in pragmas:
        storage.execute(f"PRAGMA {pragma}")


def bench_settings(
    data_dir: Path,
    models_dir: Path,
    *,
    threads: int,
    batch_size: int = 32,
    qdrant: str = "path",
    sentence_vectors: str = "ingest",
) -> Settings:
    """Embedded-mode settings in ``data_dir`` (SQLite; the index in a ``path`` or a temporary
    directory with ``memory``, on Qdrant Edge, or in qdrant-client's local mode with
    ``qdrant-local``), on CPU with ``threads`` torch threads and the default model from
    ``models_dir``."""
    return Settings(
        mode="embedded",
        data_dir=data_dir,
        models_dir=models_dir,
        device="cpu",
        cpu_threads=threads,
        encode_batch_size=batch_size,
        qdrant_location=":memory:" if qdrant == "memory" else None,
        index_engine="qdrant-local" if qdrant == "qdrant-local" else "edge",
        sentence_vectors=sentence_vectors,
    )


def wait_until_done(services: Services, job_ids: Sequence[int], timeout: float) -> float:
    """Block until every job has ended; the time it ended, from ``time.perf_counter``.
    RuntimeError if any failed.

    It polls with one COUNT query on an engine of its own, without the app's
    ``BEGIN IMMEDIATE``: a plain SQLite read never takes the write lock, so the waiting does
    not delay the worker's commits (``Services.wait_for_jobs`` would: see ingest_throughput).
    """
    low, high = min(job_ids), max(job_ids)
    active = (JobStatus.QUEUED, JobStatus.RUNNING)
    query = select(func.count()).where(Job.id.between(low, high), Job.status.in_(active))
    engine = create_engine(str(services.settings.database_url))
    deadline = time.perf_counter() + timeout
    try:
        while True:
            with engine.connect() as connection:
                pending = connection.scalar(query)
            now = time.perf_counter()
            if not pending:
                break
            if now > deadline:
                raise TimeoutError(f"{pending} jobs still running after {timeout} s")
            time.sleep(POLL_S)
    finally:
        engine.dispose()
    failed = services.list_jobs(status="failed", limit=5)
    if failed:
        raise RuntimeError(f"ingest jobs failed, e.g. {failed[0].error}")
    return now


def latency_stats(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p95, mean and max (milliseconds) of the samples."""
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "p50_ms": 1000 * statistics.median(ordered),
        "p95_ms": 1000 * p95,
        "mean_ms": 1000 * statistics.fmean(ordered),
        "max_ms": 1000 * ordered[-1],
    }


def rss_mb() -> float:
    """This process's resident memory now (Linux), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> dict[str, Any]:
    """What the numbers ran on, and how busy the machine was at this moment."""
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def write_report(report: dict[str, Any], out_dir: Path, name: str) -> Path:
    """Write ``report`` as ``out_dir/<name>-<UTC time>.json``; its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return path


def off_main_thread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)`` run in a fresh thread, as the app runs its work (worker
    thread, web request threads). Measured here: single-text encode calls made from the main
    thread were 2.5-5x slower than the same calls from another thread."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench") as pool:
        return pool.submit(function, *args, **kwargs).result()


def iter_batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """Consecutive slices of ``items`` of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
