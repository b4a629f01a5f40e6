"""Search latency in embedded mode (SQLite + Qdrant local path), query encoding included.

For each index size (``--sizes``, default 10k and 100k chunks), grown in one fresh data
directory: the time to open (re-open) the local index of that size, then ``Services.search``
(k=10), with the in-process worker running idle as in the app, timed for every query with
highlighting on and off, without a filter, with a language filter and with a collection filter
(p50 / p95). The configurations take turns query by query, so load drifts hit them alike. A
few queries also time the parts alone: encoding the query, and the Qdrant search without and
with each filter.

How the index is filled (``--fill``):

- ``reuse`` (default): ``--base-chunks`` real chunks are ingested through the real pipeline
  (Wikipedia summaries in en/fr/es written as JSONL files, uploaded with
  ``Services.ingest_paths`` and embedded by the in-process worker); the rest of each size is
  copies of those documents: new document and chunk rows with the same texts, whose vectors
  are the real ones plus Gaussian noise (``--noise``, then re-normalised), in the same
  collection and language as the original.
- ``encode``: every chunk is a distinct passage ingested and encoded by the pipeline (the
  corpus holds roughly 35k chunks, so this cannot reach 100k; slow on a CPU).

Either way the queries are really encoded. Documents are spread over four collections
(``part-0`` .. ``part-3``); the filters are ``lang=fr`` and ``collection=part-0``. Queries are
titles and first sentences of summaries that are not in the index, en/fr/es taking turns.

    python bench/search_latency.py [--sizes 10000 100000] [--fill reuse|encode]
        [--base-chunks 5000] [--queries 200] [--threads 2] [--models-dir DIR]

Results are printed and written as JSON into ``bench/results/``.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench.common import (  # noqa: E402
    DEFAULT_DATA_DIR,
    DEFAULT_MODELS_DIR,
    LANGUAGES,
    RESULTS_DIR,
    Summary,
    bench_settings,
    chunk_counter,
    interleaved_summaries,
    iter_batches,
    latency_stats,
    machine,
    off_main_thread,
    relax_local_sqlite,
    rss_mb,
    split_evenly,
    take_chunks,
    wait_until_done,
    write_jsonl,
    write_report,
)
from bench.encode_throughput import format_table  # noqa: E402
from mexma_search.app.access import OPERATOR  # noqa: E402
from mexma_search.app.services import Services  # noqa: E402
from mexma_search.app.serving_model import ServingModel, serving_model  # noqa: E402
from mexma_search.documents import UNDETERMINED  # noqa: E402
from mexma_search.encoder.default_model import prepare_default_model  # noqa: E402
from mexma_search.index import ChunkPoint, point_id  # noqa: E402
from mexma_search.jobs.backends import open_services  # noqa: E402
from mexma_search.jobs.inprocess import InProcessWorker  # noqa: E402
from mexma_search.store import (  # noqa: E402
    Chunk,
    Collection,
    Document,
    DocumentStatus,
    NewChunk,
    NewDocument,
    add_document,
    count_chunks,
    replace_chunks,
    session_scope,
    set_document_status,
)

K = 10
COLLECTIONS = tuple(f"part-{i}" for i in range(4))
FILTERS: dict[str, dict[str, str]] = {
    "none": {},
    "lang": {"lang": "fr"},
    "collection": {"collection": COLLECTIONS[0]},
}
RECORDS_PER_FILE = 100
REPLICA_DOCUMENTS_PER_SESSION = 200
UPSERT_BATCH = 1024
WARMUP_QUERIES = 5
FIRST_SENTENCE = re.compile(r"(?<=[.!?])\s")
MAX_QUERY_CHARS = 200


@dataclass(frozen=True)
class Query:
    """A search text, its language and where it came from (a title or a first sentence)."""

    text: str
    lang: str
    kind: str


@dataclass(frozen=True)
class Config:
    """One timed search configuration."""

    filter: str
    highlight: bool

    @property
    def name(self) -> str:
        return f"{self.filter}, highlight {'on' if self.highlight else 'off'}"


# --- queries ---------------------------------------------------------------------------------


def build_queries(summaries: Sequence[Summary]) -> list[Query]:
    """Titles and first sentences (alternately) of ``summaries``."""
    queries = []
    for i, summary in enumerate(summaries):
        if i % 2 == 0:
            queries.append(Query(summary.title, summary.lang, "title"))
        else:
            first = FIRST_SENTENCE.split(summary.text.strip(), maxsplit=1)[0]
            queries.append(Query(first[:MAX_QUERY_CHARS], summary.lang, "first sentence"))
    return queries


# --- filling the index -----------------------------------------------------------------------


@dataclass(frozen=True)
class StoredVectors:
    """A chunk's vectors as the index holds them (copies reuse the sentence vectors)."""

    passage: np.ndarray
    sentences: np.ndarray | None


class IndexFiller:
    """Grows the index of ``services`` to a number of chunks: real documents first, then (in
    ``reuse`` mode) noisy copies of them."""

    def __init__(
        self, services: Services, pool: Sequence[Summary], args: argparse.Namespace
    ) -> None:
        self.services = services
        self.pool = list(pool)
        self.args = args
        self.scratch = Path(args.scratch)
        self.used = 0  # summaries of the pool ingested so far
        self.real_chunks = 0  # chunks of really ingested documents
        self.replicas = 0  # copies made of the base documents so far
        self.rng = np.random.default_rng(0)
        self.model: ServingModel = serving_model(services.runtime)
        self.count = chunk_counter(self.model.encoder, services.settings.chunk_max_tokens)

    def chunks(self) -> int:
        with session_scope(self.services.runtime.engine) as session:
            return count_chunks(session)

    def grow_to(self, size: int) -> dict[str, float]:
        """Add chunks until the index holds ``size`` (about ``size`` for real ones); the
        seconds spent on real ingestion and on copies."""
        real_target = size if self.args.fill == "encode" else min(size, self.args.base_chunks)
        started = time.perf_counter()
        if self.real_chunks < real_target:
            self.ingest_real(real_target - self.real_chunks)
        ingested = time.perf_counter()
        if self.args.fill == "reuse":
            self.add_copies(size - self.chunks())
        return {
            "ingest_seconds": ingested - started,
            "copy_seconds": time.perf_counter() - ingested,
        }

    def ingest_real(self, chunks: int) -> None:
        """Upload summaries making about ``chunks`` chunks through the real pipeline."""
        if chunks <= 0:
            return
        summaries, expected = take_chunks(self.pool[self.used :], chunks, self.count)
        if expected < chunks:
            raise SystemExit(
                f"the corpus has too few passages left for {chunks} more real chunks "
                f"(about {expected}): use --fill reuse, or smaller --sizes"
            )
        print(f"  ingesting {len(summaries)} summaries (~{expected} chunks) ...", flush=True)
        before = self.chunks()
        with InProcessWorker(self.services):
            job_ids = []
            for i, collection in enumerate(COLLECTIONS):
                files = self.write_files(summaries[i :: len(COLLECTIONS)], collection)
                job_ids += self.services.ingest_paths(files, collection=collection, caller=OPERATOR)
            wait_until_done(self.services, job_ids, self.args.timeout)
        self.used += len(summaries)
        self.real_chunks += self.chunks() - before

    def write_files(self, summaries: Sequence[Summary], collection: str) -> list[Path]:
        directory = self.scratch / f"uploads-{self.used}" / collection
        directory.mkdir(parents=True)
        parts = split_evenly(summaries, max(1, len(summaries) // RECORDS_PER_FILE))
        return [
            write_jsonl(part, directory / f"wiki-{i:04d}.jsonl") for i, part in enumerate(parts)
        ]

    def add_copies(self, chunks: int) -> None:
        """Add ``chunks`` chunks copied from the real documents (whole documents while they
        fit), with noisy vectors."""
        base = self.base_documents()
        vectors = self.base_vectors(base)
        while chunks > 0:
            self.replicas += 1
            print(f"  copy {self.replicas}: {min(chunks, sum(map(len, base.values())))} chunks")
            chunks -= self.copy_once(base, vectors, chunks)

    def base_documents(self) -> dict[Document, list[Chunk]]:
        """The real documents (not copies) and their chunks, in id order."""
        query = (
            select(Document, Chunk)
            .join(Chunk, Chunk.document_id == Document.id)
            .where(Document.stored_path != "")  # copies have no stored file
            .order_by(Chunk.id)
        )
        by_document: dict[Document, list[Chunk]] = {}
        with session_scope(self.services.runtime.engine) as session:
            for document, chunk in session.execute(query):
                by_document.setdefault(document, []).append(chunk)
            for document in by_document:
                _ = document.collection.name  # loaded while the session is open
        return by_document

    def base_vectors(self, base: dict[Document, list[Chunk]]) -> dict[int, StoredVectors]:
        """The stored passage and sentence vectors of every base chunk, by chunk id."""
        ids = [
            point_id(chunk.document_id, chunk.ordinal, self.model.version)
            for chunks in base.values()
            for chunk in chunks
        ]
        vectors: dict[int, StoredVectors] = {}
        index = self.services.runtime.index
        for batch in iter_batches(ids, 1000):
            for point in index.points(self.model.collection, list(batch)):
                vectors[point.chunk_id] = StoredVectors(
                    np.asarray(point.vector, dtype=np.float32),
                    None
                    if point.sentence_vectors is None
                    else np.asarray(point.sentence_vectors, dtype=np.float32),
                )
        return vectors

    def copy_once(
        self, base: dict[Document, list[Chunk]], vectors: dict[int, StoredVectors], limit: int
    ) -> int:
        """One more copy of the base documents (stopping after ``limit`` chunks); how many
        chunks it added."""
        added = 0
        index = self.services.runtime.index
        # a benchmark index is thrown away if interrupted: skip the per-point fsync of
        # qdrant-client's local storage while filling (the stored format is the same)
        relax_local_sqlite(index, self.model.collection, ["synchronous=OFF"])
        for group in iter_batches(list(base.items()), REPLICA_DOCUMENTS_PER_SESSION):
            if added >= limit:
                break
            points = self.copy_documents(group, vectors, limit - added)
            index.upsert(self.model.collection, points, batch_size=UPSERT_BATCH)
            added += len(points)
        relax_local_sqlite(index, self.model.collection, ["synchronous=FULL"])
        return added

    def copy_documents(
        self,
        documents: Sequence[tuple[Document, list[Chunk]]],
        vectors: dict[int, StoredVectors],
        limit: int,
    ) -> list[ChunkPoint]:
        """Rows for copies of ``documents`` (at most ``limit`` chunks) and their points."""
        points: list[ChunkPoint] = []
        with session_scope(self.services.runtime.engine) as session:
            for original, chunks in documents:
                chunks = chunks[: limit - len(points)]
                if not chunks:
                    break
                copy = add_document(session, self.copy_of(original))
                set_document_status(
                    session, copy.id, DocumentStatus.INDEXED, languages=original.languages
                )
                ids = replace_chunks(session, copy.id, [_new_chunk(c) for c in chunks])
                points += [
                    ChunkPoint(
                        chunk_id=chunk_id,
                        document_id=copy.id,
                        ordinal=chunk.ordinal,
                        collection=original.collection.name,
                        lang=chunk.language or UNDETERMINED,
                        vector=self.perturb(vectors[chunk.id].passage),
                        sentence_vectors=vectors[chunk.id].sentences,
                    )
                    for chunk_id, chunk in zip(ids, chunks, strict=True)
                ]
        return points

    def copy_of(self, original: Document) -> NewDocument:
        tag = f"{original.content_hash}:copy-{self.replicas}"
        return NewDocument(
            collection=original.collection.name,
            content_hash=hashlib.sha256(tag.encode()).hexdigest(),
            filename=f"copy-{self.replicas}-{original.filename}",
            file_type=original.file_type,
            size_bytes=original.size_bytes,
            stored_path="",
        )

    def perturb(self, vector: np.ndarray) -> np.ndarray:
        noisy = vector + self.args.noise * self.rng.standard_normal(len(vector)) / np.sqrt(
            len(vector)
        )
        return (noisy / np.linalg.norm(noisy)).astype(np.float32)


def _new_chunk(chunk: Chunk) -> NewChunk:
    return NewChunk(
        ordinal=chunk.ordinal,
        text=chunk.text,
        start_offset=chunk.start_offset,
        end_offset=chunk.end_offset,
        language=chunk.language,
        sentences=[(start, end) for start, end in chunk.sentences],
    )


# --- measurements ----------------------------------------------------------------------------


def reopen_index(services: Services) -> float:
    """Close the runtime (index and database), then time opening the local index again, as
    the app does at its first search after a start."""
    services.runtime.close()
    started = time.perf_counter()
    _ = services.runtime.index
    return time.perf_counter() - started


def filter_shares(services: Services) -> dict[str, float]:
    """The share of the chunks each filter keeps."""
    count = select(func.count()).select_from(Chunk)
    in_lang = count.where(Chunk.language == FILTERS["lang"]["lang"])
    in_collection = (
        count.join(Document, Chunk.document_id == Document.id)
        .join(Collection, Document.collection_id == Collection.id)
        .where(Collection.name == FILTERS["collection"]["collection"])
    )
    with session_scope(services.runtime.engine) as session:
        total = count_chunks(session)
        lang = session.scalar(in_lang) or 0
        kept_by_collection = session.scalar(in_collection) or 0
    return {"none": 1.0, "lang": lang / total, "collection": kept_by_collection / total}


def time_searches(
    services: Services, queries: Sequence[Query], configs: Sequence[Config]
) -> dict[str, list[float]]:
    """Seconds of each ``Services.search`` call, by configuration; the configurations take
    turns for every query (the order rotates)."""
    for query in queries[:WARMUP_QUERIES]:
        services.search(query.text, k=K, caller=OPERATOR)
    seconds: dict[str, list[float]] = {config.name: [] for config in configs}
    for i, query in enumerate(queries):
        shift = i % len(configs)
        for config in [*configs[shift:], *configs[:shift]]:
            started = time.perf_counter()
            services.search(
                query.text,
                k=K,
                caller=OPERATOR,
                highlight=config.highlight,
                **FILTERS[config.filter],
            )
            seconds[config.name].append(time.perf_counter() - started)
    return seconds


def time_parts(
    services: Services, queries: Sequence[Query], filters: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Latency of the parts of a search alone: query encoding, Qdrant search per filter."""
    model = serving_model(services.runtime)
    index = services.runtime.index
    parts: dict[str, list[float]] = {"encode query": []}
    parts.update({f"qdrant search, filter {name}": [] for name in filters})
    for query in queries:
        vector = timed(parts["encode query"], model.encoder.encode, [query.text], prompt="query")
        for name in filters:
            timed(
                parts[f"qdrant search, filter {name}"],
                index.search,
                vector.vectors[0],
                K,
                target=model.collection,
                **FILTERS[name],
            )
    return {name: latency_stats(samples) for name, samples in parts.items()}


def timed(samples: list[float], function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``function``, appending its duration to ``samples``; its result."""
    started = time.perf_counter()
    result = function(*args, **kwargs)
    samples.append(time.perf_counter() - started)
    return result


def measure_size(
    services: Services,
    filler: IndexFiller,
    size: int,
    queries: Sequence[Query],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Grow the index to ``size``, re-open it, and time searches and their parts."""
    print(f"\nindex of {size} chunks:", flush=True)
    fill = filler.grow_to(size)
    chunks = filler.chunks()
    reopen = reopen_index(services)
    points = services.runtime.index.count(filler.model.collection)
    print(f"  {chunks} chunks, {points} points; re-opened in {reopen:.1f} s; searching ...")
    configs = [Config(f, h) for f in args.filters for h in args.highlight]
    # As the app serves them: from request threads, never from the main thread, while its
    # in-process worker runs (idle) with its CPU-sharing settings. Without its one BLAS
    # thread, the BLAS threads of a local search spin on after it and made the next query's
    # encoding 2.5x slower (measured).
    with InProcessWorker(services):
        seconds = off_main_thread(time_searches, services, queries, configs)
        parts = off_main_thread(time_parts, services, queries[: args.part_queries], args.filters)
    return {
        "size": size,
        "chunks": chunks,
        "points": points,
        "real_chunks": filler.real_chunks,
        "copies_of_base": filler.replicas,
        **fill,
        "reopen_seconds": reopen,
        "rss_mb_after_reopen": rss_mb(),
        "filter_shares": filter_shares(services),
        "search": {name: latency_stats(samples) for name, samples in seconds.items()},
        "parts": parts,
    }


# --- report ----------------------------------------------------------------------------------


def print_report(report: dict[str, Any]) -> None:
    settings = report["settings"]
    print(f"\nfill: {report['fill_description']}")
    print(
        f"{settings['queries']} queries (en/fr/es titles and first sentences), k={K}, "
        f"{settings['threads']} threads; load average {report['machine']['load_average']} -> "
        f"{report['load_average_end']}\n"
    )
    for size in report["sizes"]:
        shares = ", ".join(f"{k} {100 * v:.0f}%" for k, v in size["filter_shares"].items())
        print(
            f"{size['chunks']} chunks ({size['real_chunks']} real): re-open "
            f"{size['reopen_seconds']:.1f} s, RSS {size['rss_mb_after_reopen']:.0f} MB; "
            f"filters keep {shares}"
        )
        rows = [
            [name, f"{s['p50_ms']:.1f}", f"{s['p95_ms']:.1f}", f"{s['mean_ms']:.1f}"]
            for name, s in {**size["search"], **size["parts"]}.items()
        ]
        print(format_table(["Services.search (ms)", "p50", "p95", "mean"], rows) + "\n")


def fill_description(args: argparse.Namespace) -> str:
    if args.fill == "encode":
        return "encode: every chunk is a distinct real passage, encoded by the pipeline"
    return (
        f"reuse: {args.base_chunks} real chunks ingested and encoded by the pipeline; the rest "
        f"are copies of those documents with vectors = real vector + N(0, {args.noise}^2/dim) "
        "noise, re-normalised (queries are always really encoded)"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--fill", choices=["reuse", "encode"], default="reuse")
    parser.add_argument("--base-chunks", type=int, default=5000, help="real chunks (reuse)")
    parser.add_argument("--noise", type=float, default=0.1, help="noise norm of copied vectors")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--part-queries", type=int, default=20, help="queries timing the parts")
    parser.add_argument("--filters", nargs="+", choices=list(FILTERS), default=list(FILTERS))
    parser.add_argument(
        "--highlight",
        nargs="+",
        choices=["on", "off"],
        default=["on", "off"],
        help="highlight settings to time",
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="torch threads (MEXMA_CPU_THREADS)")
    parser.add_argument("--timeout", type=float, default=6 * 3600, help="seconds per ingest")
    parser.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args()
    args.highlight = [value == "on" for value in args.highlight]
    args.sizes = sorted(args.sizes)
    return args


def split_pool(data_dir: Path, queries: int) -> tuple[list[Summary], list[Query]]:
    """Summaries to index, and queries from other summaries (the ends of the files)."""
    query_sources = interleaved_summaries(data_dir, reverse=True)[:queries]
    reserved = set(query_sources)
    pool = [s for s in interleaved_summaries(data_dir) if s not in reserved]
    return pool, build_queries(query_sources)


def main() -> None:
    args = parse_args()
    prepared = prepare_default_model(args.models_dir)
    pool, queries = split_pool(args.data_dir, args.queries)
    started_load = machine()
    with tempfile.TemporaryDirectory(prefix="mexma-search-bench-") as tmp:
        args.scratch = tmp
        settings = bench_settings(
            Path(tmp) / "data", args.models_dir, threads=args.threads, batch_size=args.batch_size
        )
        services = open_services(settings)
        filler = IndexFiller(services, pool, args)
        sizes = [measure_size(services, filler, size, queries, args) for size in args.sizes]
        services.runtime.close()
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "model_path": str(prepared.path),
        "settings": {
            **{k: v for k, v in vars(args).items() if k not in ("scratch",)},
            "qdrant": "local path",
            "database": "sqlite",
            "k": K,
            "filter_values": FILTERS,
        },
        "fill_description": fill_description(args),
        "machine": started_load,
        "load_average_end": machine()["load_average"],
        "queries_sample": [asdict(q) for q in queries[:6]],
        "query_languages": {lang: sum(q.lang == lang for q in queries) for lang in LANGUAGES},
        "sizes": sizes,
    }
    print_report(report)
    path = write_report(report, args.out, "search_latency")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
