"""Ingest throughput end to end in embedded mode, against the raw encoder on the same chunks.

1. Pipeline: Wikipedia summaries (en/fr/es taking turns, ``shared/data/corpus``) are written
   as one ``.txt`` file per summary (``--format txt``) or as ``--files`` JSONL files, and
   uploaded with ``Services.ingest_paths`` into an embedded app (SQLite, Qdrant local path or
   memory, the in-process worker) in a fresh data directory. The clock runs from the upload
   until every job has ended and the index holds one point per chunk row: chunks/s. Before
   it starts, one small document is ingested and deleted, so that the worker threads are
   consuming and the language identifier is loaded, as in a running app (the raw encoder is
   warmed up too).
   Where the time went is measured inside the worker by wrapping the pipeline's own functions
   (parse, chunk, encode, Qdrant upsert, SQL sessions, ...) with timers; each phase counts its
   exclusive time.
   Worker threads run concurrently (the ingest thread parses while the embed thread encodes),
   so phases are reported per thread, each with its idle time.
2. Raw encoder: ``SentenceEncoder.encode`` of the same chunk texts (read back from SQL) in one
   call, same encoder object, batch size, ``prompt='passage'`` and thread count
   (``--raw-repeats`` passes, median). With ``--sentence-vectors ingest`` (the app's default)
   the pipeline also embeds the sentences of every chunk that has several, so the raw pass
   encodes those sentences too (one more call): the same encoder work on both sides.
   ``--sentence-vectors query`` leaves them to search.
3. Pipeline overhead = 1 - pipeline rate / raw one-call rate (target: at most 25%).
4. Qdrant alone: a direct ``VectorIndex.upsert`` of as many points into a fresh collection,
   local path as the app opens it, local path with SQLite in WAL mode and
   ``synchronous=NORMAL`` (an experiment for a fix), and in memory.

    python bench/ingest_throughput.py [--chunks 3000 | --documents N] [--format txt|jsonl]
        [--batch-size 32] [--threads 2] [--qdrant path|memory] [--models-dir DIR]
        [--sentence-vectors ingest|query]

Results are printed and written as JSON into ``bench/results/``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
from sqlalchemy import select

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import mexma_search.jobs.embed  # noqa: E402
import mexma_search.jobs.handler  # noqa: E402
import mexma_search.jobs.ingest  # noqa: E402
import mexma_search.jobs.inprocess  # noqa: E402
import mexma_search.jobs.registry  # noqa: E402
from bench.common import (  # noqa: E402
    DEFAULT_DATA_DIR,
    DEFAULT_MODELS_DIR,
    RESULTS_DIR,
    Summary,
    bench_settings,
    chunk_counter,
    interleaved_summaries,
    machine,
    off_main_thread,
    relax_local_sqlite,
    split_evenly,
    take_chunks,
    wait_until_done,
    write_jsonl,
    write_report,
)
from bench.encode_throughput import format_table  # noqa: E402
from mexma_search.app.access import OPERATOR  # noqa: E402
from mexma_search.app.services import Services  # noqa: E402
from mexma_search.app.serving_model import serving_model  # noqa: E402
from mexma_search.documents import UNDETERMINED  # noqa: E402
from mexma_search.encoder.default_model import prepare_default_model  # noqa: E402
from mexma_search.encoder.model import SentenceEncoder  # noqa: E402
from mexma_search.index import LIVE_ALIAS, ChunkPoint, VectorIndex, collection_name, open_index  # noqa: E402
from mexma_search.jobs.backends import open_services  # noqa: E402
from mexma_search.jobs.inprocess import InProcessWorker  # noqa: E402
from mexma_search.store import Chunk, count_chunks, session_scope  # noqa: E402

TARGET_OVERHEAD = 0.25
COLLECTION = "bench"
WARMUP_TEXTS = 16
UPSERT_VARIANTS = ("edge", "qdrant-local", "qdrant-local-wal-normal")


# --- timing the pipeline's phases ------------------------------------------------------------


class PhaseClock:
    """Exclusive wall time per thread and named phase: a phase nested in another is not
    counted twice."""

    def __init__(self) -> None:
        self.seconds: defaultdict[tuple[str, str], float] = defaultdict(float)
        self.calls: Counter[tuple[str, str]] = Counter()
        self._local = threading.local()
        self._lock = threading.Lock()

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Count the time spent in the block as ``name``, less that of phases inside it."""
        stack: list[list[float]] = self._local.__dict__.setdefault("stack", [])
        frame = [0.0]  # time of the phases nested in this one
        stack.append(frame)
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            stack.pop()
            if stack:
                stack[-1][0] += elapsed
            key = (threading.current_thread().name, name)
            with self._lock:
                self.seconds[key] += elapsed - frame[0]
                self.calls[key] += 1

    def timed(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function``, counted as phase ``name``."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.phase(name):
                return function(*args, **kwargs)

        return wrapper

    def timed_context(self, name: str, factory: Callable[..., Any]) -> Callable[..., Any]:
        """A context manager factory whose blocks count as phase ``name``."""

        @contextmanager
        def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
            with self.phase(name), factory(*args, **kwargs) as value:
                yield value

        return wrapper


# Phases of the worker threads, in pipeline order; "job other" is the exclusive time of the
# job's step itself (claiming and finishing the job, reading the stored file, ...).
TASK = "job other"
PHASES = {
    "parse": [(mexma_search.jobs.ingest, "parse_bytes")],
    "chunk": [(mexma_search.jobs.ingest, "chunk_document")],
    "live model lookup": [
        (mexma_search.jobs.ingest, "serving_model"),
        (mexma_search.jobs.embed, "serving_model"),
    ],
    "encode": [(mexma_search.jobs.embed, "embed_chunks")],
    "qdrant upsert": [(VectorIndex, "upsert")],
    TASK: [(mexma_search.jobs.inprocess, "execute")],
}
# The SQL sessions (``session_scope`` blocks, commit included) of each task module.
SQL_SCOPES = {
    "sql: job rows (claim, progress, finish)": mexma_search.jobs.handler,
    "sql: ingest task (document, chunk rows)": mexma_search.jobs.ingest,
    "sql: embed task (read chunks, status)": mexma_search.jobs.embed,
}
ADOPT = "look for queued jobs"


@contextmanager
def instrumented(clock: PhaseClock) -> Iterator[None]:
    """Patch the pipeline's functions to report to ``clock`` while the block runs (a function
    that no longer exists is left out with a warning: its time then shows up elsewhere)."""
    patches = [
        (owner, attribute, name, clock.timed)
        for name, targets in PHASES.items()
        for owner, attribute in targets
    ]
    patches += [
        (module, "session_scope", name, clock.timed_context) for name, module in SQL_SCOPES.items()
    ]
    patches.append((mexma_search.jobs.inprocess, "queued_jobs", ADOPT, clock.timed))
    with ExitStack() as stack:
        for owner, attribute, name, wrap in patches:
            original = getattr(owner, attribute, None)
            if original is None:
                print(f"warning: {owner.__name__}.{attribute} not found, not timed", flush=True)
                continue
            stack.enter_context(mock.patch.object(owner, attribute, wrap(name, original)))
        yield


# --- the workload ----------------------------------------------------------------------------


def select_summaries(
    data_dir: Path, documents: int | None, chunks: int | None, encoder: SentenceEncoder, budget: int
) -> tuple[list[Summary], int | None]:
    """The first ``documents`` summaries, or as many as make about ``chunks`` chunks (counted
    with the pipeline's own chunker and token budget); and that expected chunk count."""
    pool = interleaved_summaries(data_dir)
    if chunks is None:
        return pool[:documents], None
    return take_chunks(pool, chunks, chunk_counter(encoder, budget))


def write_uploads(
    summaries: Sequence[Summary], directory: Path, fmt: str, files: int
) -> list[Path]:
    """One ``.txt`` per summary, or ``files`` JSONL files; their paths."""
    directory.mkdir(parents=True)
    if fmt == "jsonl":
        return [
            write_jsonl(part, directory / f"wiki-{i:03d}.jsonl")
            for i, part in enumerate(split_evenly(summaries, files))
        ]
    paths = []
    for i, summary in enumerate(summaries):
        path = directory / f"{i:06d}-{summary.lang}.txt"
        path.write_text(summary.text + "\n", encoding="utf-8")
        paths.append(path)
    return paths


# --- measurements ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineRun:
    """One timed end-to-end ingest; ``phases``: per thread, per phase, seconds and calls."""

    seconds: float
    upload_seconds: float
    documents: int
    chunks: int
    points: int
    phases: dict[str, dict[str, dict[str, float]]]
    wait_for_jobs_pass_seconds: float

    def total(self, phase: str) -> float:
        """Seconds of ``phase`` summed over the threads."""
        return sum(row.get(phase, {}).get("seconds", 0.0) for row in self.phases.values())

    def calls(self, phase: str) -> int:
        """Calls of ``phase`` summed over the threads."""
        return int(sum(row.get(phase, {}).get("calls", 0) for row in self.phases.values()))


def warm_up(services: Services) -> tuple[SentenceEncoder, float]:
    """Load the live model (registering it and its collection) and run the encoder once, so
    the timed run starts warm; the encoder and the seconds it took."""
    started = time.perf_counter()
    encoder = serving_model(services.runtime).encoder
    encoder.encode(["warm up"] * WARMUP_TEXTS, prompt="passage")
    return encoder, time.perf_counter() - started


def warm_up_worker(services: Services, directory: Path) -> None:
    """Ingest and delete one small document, so that the timed run starts as in a running
    app: worker threads consuming, the language identifier loaded, SQL statements cached."""
    directory.mkdir()
    path = directory / "warm-up.txt"
    path.write_text("The worker threads start before the clock does.\n", encoding="utf-8")
    job = services.wait_for_job(
        services.ingest_paths([path], collection="warm-up", caller=OPERATOR)[0], 120
    )
    if job.status != "succeeded":
        raise RuntimeError(f"the warm-up document was not indexed: {job.error}")
    services.delete_document(job.metrics["document_id"], caller=OPERATOR)


def run_pipeline(
    services: Services, files: Sequence[Path], wait: str, timeout: float
) -> PipelineRun:
    """Upload ``files`` and wait until they are searchable, timing the worker's phases.

    ``wait``: ``reader`` polls with one read-only COUNT query; ``services`` calls
    ``Services.wait_for_jobs`` (as ``mexma-search ingest --wait`` does), whose polling competes
    with the worker for the CPU and the GIL.
    """
    clock = PhaseClock()
    with InProcessWorker(services):
        warm_up_worker(services, files[0].parent.parent / "warm-up")
        with instrumented(clock):
            started = time.perf_counter()
            job_ids = services.ingest_paths(files, collection=COLLECTION, caller=OPERATOR)
            uploaded = time.perf_counter()
            if wait == "services":
                services.wait_for_jobs(job_ids, timeout)
            else:
                wait_until_done(services, job_ids, timeout)
            points = services.runtime.index.count(LIVE_ALIAS)
            searchable = time.perf_counter()
    with session_scope(services.runtime.engine) as session:
        chunks = count_chunks(session)
    pass_started = time.perf_counter()
    services.wait_for_jobs(job_ids)  # all ended: exactly one polling pass
    phases: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    for (thread, phase), seconds in clock.seconds.items():
        phases[thread][phase] = {"seconds": seconds, "calls": clock.calls[(thread, phase)]}
    return PipelineRun(
        seconds=searchable - started,
        upload_seconds=uploaded - started,
        documents=len(job_ids),
        chunks=chunks,
        points=points,
        phases=dict(phases),
        wait_for_jobs_pass_seconds=time.perf_counter() - pass_started,
    )


@dataclass(frozen=True)
class ChunkRows:
    """The chunk rows the pipeline stored, in id order."""

    texts: list[str]
    langs: list[str]
    # per chunk, the texts of its sentences when it has several (else empty)
    sentences: list[list[str]]


@dataclass(frozen=True)
class RawRuns:
    """Seconds per pass of the raw encoder over the chunk texts (and sentences) in one call
    each; the vectors and token count of the chunk texts."""

    seconds: list[float]
    vectors: np.ndarray
    n_tokens: int


def read_chunks(services: Services) -> ChunkRows:
    """The texts and languages of all chunk rows, and their sentences, in id order."""
    with session_scope(services.runtime.engine) as session:
        chunks = list(session.scalars(select(Chunk).order_by(Chunk.id)))
        spans = [chunk.sentence_spans() for chunk in chunks]
        return ChunkRows(
            texts=[chunk.text for chunk in chunks],
            langs=[chunk.language or UNDETERMINED for chunk in chunks],
            sentences=[
                [chunk.text[a:b] for a, b in chunk_spans] if len(chunk_spans) > 1 else []
                for chunk, chunk_spans in zip(chunks, spans, strict=True)
            ],
        )


def time_raw_encode(
    encoder: SentenceEncoder, rows: ChunkRows, batch_size: int, repeats: int, with_sentences: bool
) -> RawRuns:
    """Time ``repeats`` passes over the chunk texts in one ``encode`` call (and their sentences
    in a second one if ``with_sentences``). Call it off the main thread, as the worker runs."""
    sentences = [s for chunk in rows.sentences for s in chunk] if with_sentences else []
    seconds = []
    result = None
    for _ in range(repeats):
        started = time.perf_counter()
        result = encoder.encode(rows.texts, prompt="passage", batch_size=batch_size)
        if sentences:
            encoder.encode(sentences, prompt="passage", batch_size=batch_size)
        seconds.append(time.perf_counter() - started)
    assert result is not None
    return RawRuns(seconds, result.vectors, result.n_tokens)


def time_direct_upsert(
    vectors: np.ndarray, langs: Sequence[str], variant: str, directory: Path
) -> dict[str, float]:
    """Seconds to upsert one point per vector into a fresh collection (the app's batching)."""
    engine = "edge" if variant == "edge" else "qdrant-local"
    index = open_index(str(directory / variant), engine=engine)
    name = collection_name("bench-upsert")
    index.ensure_collection(name, vectors.shape[1])
    if variant == "qdrant-local-wal-normal":
        relax_local_sqlite(index, name, ["journal_mode=WAL", "synchronous=NORMAL"])
    points = [
        ChunkPoint(i, i // 4, i % 4, COLLECTION, lang, vector)
        for i, (vector, lang) in enumerate(zip(vectors, langs, strict=True))
    ]
    started = time.perf_counter()
    index.upsert(name, points)
    seconds = time.perf_counter() - started
    index.close()
    return {"points": len(points), "seconds": seconds, "points_per_s": len(points) / seconds}


# --- report ----------------------------------------------------------------------------------


def phase_rows(run: PipelineRun) -> list[dict[str, Any]]:
    """Per thread (worker threads first), its phases in pipeline order and, for a worker
    thread, its idle time (waiting for a message or for the other thread)."""
    rows = [
        {
            "thread": "MainThread",
            "phase": "upload (store files, rows, enqueue)",
            "seconds": run.upload_seconds,
        }
    ]
    order = [*PHASES, *SQL_SCOPES, ADOPT]
    threads = sorted(run.phases, key=lambda name: (not name.startswith("mexma-worker"), name))
    for thread in threads:
        phases = run.phases[thread]
        for name in sorted(phases, key=order.index):
            rows.append({"thread": thread, "phase": name, **phases[name]})
        if thread.startswith("mexma-worker"):
            busy = sum(row["seconds"] for row in phases.values())
            rows.append({"thread": thread, "phase": "idle", "seconds": run.seconds - busy})
    for row in rows:
        row["pct_of_wall"] = 100 * row["seconds"] / run.seconds
    return rows


def build_report(
    args: argparse.Namespace,
    run: PipelineRun,
    raw: RawRuns,
    rows: ChunkRows,
    upserts: dict[str, dict[str, float]],
    extra: dict[str, Any],
) -> dict[str, Any]:
    raw_median = statistics.median(raw.seconds)
    pipeline_rate = run.chunks / run.seconds
    raw_rate = run.chunks / raw_median
    overhead = 1 - pipeline_rate / raw_rate
    encode_calls = run.calls("encode")
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": {
            key: getattr(args, key)
            for key in (
                "documents",
                "chunks",
                "format",
                "files",
                "batch_size",
                "threads",
                "qdrant",
                "wait",
                "sentence_vectors",
                "raw_repeats",
            )
        },
        "machine": machine(),
        **extra,
        "workload": {
            "documents": run.documents,
            "chunks": run.chunks,
            "tokens": raw.n_tokens,
            "sentences_embedded": sum(len(s) for s in rows.sentences)
            if args.sentence_vectors == "ingest"
            else 0,
        },
        "pipeline": {
            "seconds": run.seconds,
            "chunks_per_s": pipeline_rate,
            "points_in_index": run.points,
            "wait_for_jobs_one_pass_seconds": run.wait_for_jobs_pass_seconds,
            "encode_calls": encode_calls,
            "chunks_per_encode_call": run.chunks / max(1, encode_calls),
            "sql_sessions_per_document": sum(run.calls(name) for name in SQL_SCOPES)
            / run.documents,
        },
        "raw_encoder": {"runs_s": raw.seconds, "median_s": raw_median, "chunks_per_s": raw_rate},
        "overhead": {
            "value": overhead,
            "target_max": TARGET_OVERHEAD,
            "met": overhead <= TARGET_OVERHEAD,
            # the encoder's own slow-down inside the pipeline (contention with the other
            # threads for the cores and the GIL), as a share of the pipeline time
            "from_slower_encoding": (run.total("encode") - raw_median) / run.seconds,
            "pipeline_encode_vs_raw": run.total("encode") / raw_median,
        },
        "phases": phase_rows(run),
        "direct_upsert": upserts,
    }


def print_report(report: dict[str, Any]) -> None:
    work, pipe, raw = report["workload"], report["pipeline"], report["raw_encoder"]
    settings, overhead = report["settings"], report["overhead"]
    print(
        f"\n{work['documents']} documents ({settings['format']}) -> {work['chunks']} chunks, "
        f"{work['tokens']} tokens, {work['sentences_embedded']} sentences embedded; batch "
        f"{settings['batch_size']}, {settings['threads']} threads, qdrant {settings['qdrant']}; "
        f"load average {report['machine']['load_average']} -> {report['load_average_end']}\n"
    )
    rows = [
        [
            "pipeline (upload -> searchable)",
            f"{pipe['seconds']:.1f}",
            f"{pipe['chunks_per_s']:.1f}",
        ],
        [
            f"raw encoder, one call (median of {len(raw['runs_s'])})",
            f"{raw['median_s']:.1f}",
            f"{raw['chunks_per_s']:.1f}",
        ],
    ]
    print(format_table(["run", "seconds", "chunks/s"], rows))
    verdict = "met" if overhead["met"] else "NOT met"
    print(
        f"\npipeline overhead 1 - pipeline/raw = {100 * overhead['value']:.1f}% "
        f"(target <= {100 * overhead['target_max']:.0f}%: {verdict})\n"
        f"  the pipeline's {pipe['encode_calls']} encode calls "
        f"({pipe['chunks_per_encode_call']:.0f} chunks each) took "
        f"{overhead['pipeline_encode_vs_raw']:.2f}x the raw time: "
        f"{100 * overhead['from_slower_encoding']:.1f}% of the pipeline time"
    )
    phases = [
        [
            row["thread"],
            row["phase"],
            f"{row['seconds']:.2f}",
            f"{row['pct_of_wall']:.1f}",
            str(row.get("calls", "")),
        ]
        for row in report["phases"]
    ]
    print(
        "\n" + format_table(["thread", "where the time went", "seconds", "% wall", "calls"], phases)
    )
    print(
        f"\n{pipe['sql_sessions_per_document']:.1f} SQL sessions per document; "
        f"Services.wait_for_jobs, one polling pass over {work['documents']} jobs: "
        f"{1000 * pipe['wait_for_jobs_one_pass_seconds']:.0f} ms (it polls every 0.2 s)"
    )
    upserts = [
        [variant, str(row["points"]), f"{row['seconds']:.2f}", f"{row['points_per_s']:.0f}"]
        for variant, row in report["direct_upsert"].items()
    ]
    print(
        "\n" + format_table(["direct VectorIndex.upsert", "points", "seconds", "points/s"], upserts)
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--documents", type=int, help="number of summaries to upload")
    size.add_argument("--chunks", type=int, help="upload summaries until about this many chunks")
    parser.add_argument("--format", choices=["txt", "jsonl"], default="txt")
    parser.add_argument("--files", type=int, default=4, help="JSONL files (with --format jsonl)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="torch threads (MEXMA_CPU_THREADS)")
    parser.add_argument("--qdrant", choices=["path", "memory", "qdrant-local"], default="path")
    parser.add_argument(
        "--sentence-vectors",
        choices=["ingest", "query"],
        default="ingest",
        help="when sentences are embedded (the app's MEXMA_SENTENCE_VECTORS)",
    )
    parser.add_argument(
        "--wait",
        choices=["reader", "services"],
        default="reader",
        help="wait with a read-only COUNT poll, or with Services.wait_for_jobs",
    )
    parser.add_argument(
        "--raw-repeats", type=int, default=3, help="passes of each raw encoder run (median)"
    )
    parser.add_argument("--timeout", type=float, default=6 * 3600, help="seconds for the ingest")
    parser.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args()
    if args.documents is None and args.chunks is None:
        args.chunks = 3000
    return args


def main() -> None:
    args = parse_args()
    prepared = prepare_default_model(args.models_dir)
    with tempfile.TemporaryDirectory(prefix="mexma-ingest-bench-") as tmp:
        scratch = Path(tmp)
        settings = bench_settings(
            scratch / "data",
            args.models_dir,
            threads=args.threads,
            batch_size=args.batch_size,
            qdrant=args.qdrant,
            sentence_vectors=args.sentence_vectors,
        )
        services = open_services(settings)
        encoder, warm_seconds = warm_up(services)
        summaries, expected = select_summaries(
            args.data_dir, args.documents, args.chunks, encoder, settings.chunk_max_tokens
        )
        files = write_uploads(summaries, scratch / "uploads", args.format, args.files)
        print(f"ingesting {len(files)} files ({len(summaries)} summaries) ...", flush=True)
        run = run_pipeline(services, files, args.wait, args.timeout)
        rows = read_chunks(services)
        services.runtime.close()
        print(f"{run.chunks} chunks in {run.seconds:.1f} s; raw encoder ...", flush=True)
        with_sentences = args.sentence_vectors == "ingest"
        raw = off_main_thread(
            time_raw_encode, encoder, rows, args.batch_size, args.raw_repeats, with_sentences
        )
        upserts = {
            v: time_direct_upsert(raw.vectors, rows.langs, v, scratch) for v in UPSERT_VARIANTS
        }
    extra = {
        "model_path": str(prepared.path),
        "startup_seconds": warm_seconds,
        "expected_chunks": expected,
        "load_average_end": machine()["load_average"],
    }
    report = build_report(args, run, raw, rows, upserts, extra)
    print_report(report)
    path = write_report(report, args.out, "ingest_throughput")
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
