"""The vector index at corpus scale: write, build, open, memory, disk, search latency and recall.

    python bench/index_scale.py --points 1000000 [--backend edge|local|both] [--json]

The corpus is synthetic but shaped like the app's: documents of 10-100 passages in 5
languages and 4 collections, 1-6 sentence vectors per passage (stored when there are several,
as ingest does), and passage vectors drawn around topic centres (real embeddings cluster; a
uniform random cloud is the worst case for any graph index): the centres are the default
model's vectors of 1,000 real Wikipedia summaries, so that real queries land among the points
as they do in a real index. The 200 queries are real: the titles of other Wikipedia articles in
en/fr/es, encoded by the default model.

Each backend is written in this process, then opened and searched in a fresh one, so
``open_s`` and ``rss_mb`` are those of a process that has just opened the index (as ``serve``
does). ``rss_mb`` is measured before the encoder loads; ``rss_with_encoder_mb`` after.
Latencies exclude query encoding except ``search_encoded_p50_ms``; ``recall_at_10`` compares
the approximate search with exact search on the same data. Each passage's text is its topic's
summary, for its keyword vector; ``hybrid_p50_ms``/``hybrid_p95_ms`` time hybrid searches
(the titles as keywords, in their languages).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DEFAULT_DATA_DIR, LANGUAGES, latency_stats, read_summaries, rss_mb

from mexma_search.index import (
    ChunkPoint,
    EdgeIndex,
    VectorIndex,
    collection_name,
    open_index,
)
from mexma_search.index.keywords import KeywordQuery

DIM = 384
COLLECTIONS = ("news", "legal", "manuals", "research")
POINT_LANGUAGES = ("en", "fr", "es", "sv", "ja")
TOPICS = 1000
TOPIC_SPREAD = 0.6
BATCH = 512
COLLECTION = collection_name("bench")
FILTERS: dict[str, dict[str, Any]] = {
    "lang": {"lang": "sv"},
    "collection": {"collection": "legal"},
    "lang_and_collection": {"lang": ["en", "fr"], "collection": "manuals"},
    "document": {"document_id": 7},
}


def synthetic_points(
    n: int, centres: np.ndarray, centre_texts: list[str], seed: int = 0
) -> Iterator[list[ChunkPoint]]:
    """``n`` passage points in batches, documents of 10-100 passages, each with its topic's
    summary as its text (for its keyword vector)."""
    rng = np.random.default_rng(seed)
    written, document_id = 0, 0
    while written < n:
        batch: list[ChunkPoint] = []
        while len(batch) < BATCH and written < n:
            document_id += 1
            size = min(int(rng.integers(10, 101)), n - written)
            topics = rng.integers(len(centres), size=size)
            topic = centres[topics]
            noise = rng.standard_normal((size, DIM)).astype(np.float32) / np.sqrt(DIM)
            vectors = topic + TOPIC_SPREAD * noise
            lang = POINT_LANGUAGES[document_id % len(POINT_LANGUAGES)]
            collection = COLLECTIONS[document_id % len(COLLECTIONS)]
            for ordinal in range(size):
                sentences = int(rng.integers(1, 7))
                sentence_vectors = (
                    vectors[ordinal] + 0.3 * rng.standard_normal((sentences, DIM)) / np.sqrt(DIM)
                    if sentences > 1
                    else None
                )
                batch.append(
                    ChunkPoint(
                        chunk_id=written + ordinal + 1,
                        document_id=document_id,
                        ordinal=ordinal,
                        collection=collection,
                        lang=lang,
                        vector=vectors[ordinal],
                        sentence_vectors=sentence_vectors,
                        text=centre_texts[topics[ordinal]],
                    )
                )
            written += size
        yield batch


def open_backend(backend: str, path: Path, quantization: bool = False) -> VectorIndex:
    engine = "qdrant-local" if backend == "local" else "edge"
    return open_index(str(path), engine=engine, quantization=quantization)  # type: ignore[arg-type]


def write_phase(
    backend: str, path: Path, n: int, centres: tuple[np.ndarray, list[str]], quantization: bool
) -> dict[str, float]:
    """Create and fill the index; build its graph (Edge); the timings."""
    index = open_backend(backend, path, quantization and backend == "edge")
    index.ensure_collection(COLLECTION, DIM)
    upsert_s = 0.0  # the time in upsert only, not making the synthetic points
    for batch in synthetic_points(n, *centres):
        started = time.perf_counter()
        index.upsert(COLLECTION, batch, batch_size=BATCH)
        upsert_s += time.perf_counter() - started
    started = time.perf_counter()
    if isinstance(index, EdgeIndex):
        index.build(COLLECTION)
    optimize_s = time.perf_counter() - started
    index.close()
    return {"upsert_per_s": n / upsert_s, "upsert_s": upsert_s, "optimize_s": optimize_s}


def search_phase(backend: str, path: Path, queries: np.ndarray, texts: list[str]) -> dict:
    """Open the index in this (fresh) process and search it."""
    started = time.perf_counter()
    index = open_backend(backend, path)
    open_s = time.perf_counter() - started
    cold = _timed(index, queries, {})  # the first searches read the index from disk
    unfiltered = _timed(index, queries, {})
    filtered = {name: _timed(index, queries, where) for name, where in FILTERS.items()}
    hybrid = _timed(index, queries, {}, keywords=_keyword_queries(texts))
    approximate = [_ids(index.search(q, 10, target=COLLECTION)) for q in queries]
    exact = [_ids(index.search(q, 10, target=COLLECTION, exact=True)) for q in queries]
    recall = float(
        np.mean(
            [len(set(a) & set(e)) / max(len(e), 1) for a, e in zip(approximate, exact, strict=True)]
        )
    )
    idle_rss, anonymous, file_backed = rss_mb(), _status_mb("RssAnon"), _status_mb("RssFile")
    encoded = _encoded_latencies(index, texts)
    report = {
        "open_s": open_s,
        "rss_mb": idle_rss,
        # memory of its own vs pages of the index's memory-mapped files (the kernel takes
        # those back under memory pressure)
        "rss_anon_mb": anonymous,
        "rss_file_mb": file_backed,
        "rss_with_encoder_mb": rss_mb(),
        "search_cold_p95_ms": cold["p95_ms"],
        "search_p50_ms": unfiltered["p50_ms"],
        "search_p95_ms": unfiltered["p95_ms"],
        "search_encoded_p50_ms": encoded["p50_ms"],
        "filtered_p95_ms": {name: stats["p95_ms"] for name, stats in filtered.items()},
        "hybrid_p50_ms": hybrid["p50_ms"],
        "hybrid_p95_ms": hybrid["p95_ms"],
        "recall_at_10": recall,
    }
    index.close()
    return report


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _ids(hits: list[Any]) -> list[int]:
    return [hit.chunk_id for hit in hits]


def _timed(
    index: VectorIndex,
    queries: np.ndarray,
    where: dict[str, Any],
    keywords: list[KeywordQuery] | None = None,
) -> dict[str, float]:
    seconds = []
    for i, query in enumerate(queries):
        words = keywords[i] if keywords else None
        started = time.perf_counter()
        index.search(
            query, 10, target=COLLECTION, with_sentence_vectors=True, keywords=words, **where
        )
        seconds.append(time.perf_counter() - started)
    return latency_stats(seconds)


def _keyword_queries(texts: list[str]) -> list[KeywordQuery]:
    """The query titles for the keyword leg, in their languages (which take turns)."""
    return [KeywordQuery(text, LANGUAGES[i % len(LANGUAGES)]) for i, text in enumerate(texts)]


def _encoded_latencies(index: VectorIndex, texts: list[str]) -> dict[str, float]:
    encoder = _encoder()
    seconds = []
    for text in texts:
        started = time.perf_counter()
        vector = encoder.encode([text], prompt="query").vectors[0]
        index.search(vector, 10, target=COLLECTION, with_sentence_vectors=True)
        seconds.append(time.perf_counter() - started)
    return latency_stats(seconds)


def _encoder() -> Any:
    from common import DEFAULT_MODELS_DIR

    from mexma_search.encoder.default_model import prepare_default_model
    from mexma_search.encoder.model import SentenceEncoder

    prepared = prepare_default_model(DEFAULT_MODELS_DIR)
    return SentenceEncoder.load(prepared.path, device="cpu")


def real_texts(count: int) -> tuple[list[str], list[str]]:
    """``count`` query titles and TOPICS summaries (of other articles), the languages taking
    turns."""
    per_language = [read_summaries(DEFAULT_DATA_DIR, lang) for lang in LANGUAGES]
    summaries = [s for group in zip(*per_language, strict=False) for s in group]
    titles = [s.title for s in summaries[:count]]
    centres = [s.text[:300] for s in summaries[count : count + TOPICS]]
    return titles, centres


def disk_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def run_backend(
    backend: str,
    n: int,
    work: Path,
    centres: tuple[np.ndarray, list[str]],
    queries: Path,
    quantization: bool,
) -> dict:
    path = work / f"{backend}-{n}{'-int8' if quantization else ''}"
    report: dict[str, Any] = {"backend": backend, "points": n, "quantization": quantization}
    report.update(write_phase(backend, path, n, centres, quantization))
    report["disk_mb"] = disk_mb(path)
    child = subprocess.run(
        [
            sys.executable,
            __file__,
            "--search-only",
            backend,
            "--path",
            str(path),
            "--query-file",
            str(queries),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    report.update(json.loads(child.stdout.strip().splitlines()[-1]))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--backend", choices=("edge", "local", "both"), default="edge")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--work", type=Path, default=Path("/tmp/mexma-index-scale"))
    parser.add_argument("--json", action="store_true", help="print one JSON object per backend")
    parser.add_argument(
        "--quantization", action="store_true", help="int8 passage vectors in RAM (Edge)"
    )
    parser.add_argument("--search-only", choices=("edge", "local"), help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--query-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.search_only:
        saved = json.loads(args.query_file.read_text(encoding="utf-8"))
        vectors = np.asarray(saved["vectors"], dtype=np.float32)
        print(json.dumps(search_phase(args.search_only, args.path, vectors, saved["texts"])))
        return
    texts, centre_texts = real_texts(args.queries)
    encoder = _encoder()
    vectors = encoder.encode(texts, prompt="query").vectors
    centres = np.asarray(encoder.encode(centre_texts, prompt="passage").vectors, np.float32)
    args.work.mkdir(parents=True, exist_ok=True)
    query_file = args.work / "queries.json"
    query_file.write_text(json.dumps({"texts": texts, "vectors": np.asarray(vectors).tolist()}))
    backends = ("local", "edge") if args.backend == "both" else (args.backend,)
    for backend in backends:
        report = run_backend(
            backend,
            args.points,
            args.work,
            (centres, centre_texts),
            query_file,
            args.quantization,
        )
        if args.json:
            print(json.dumps(report))
        else:
            print(f"--- {backend}, {args.points:,} points")
            for key, value in report.items():
                print(f"{key:>24}: {value}")


if __name__ == "__main__":
    main()
