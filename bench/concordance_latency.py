"""Concordance latency: translation memory search at index level and through the service,
query encoding excluded (embedded mode: SQLite + Qdrant Edge).

One translation memory holds the English-Spanish Bible (``shared/data/bitext``, 31k verse
pairs: 62k points, both sides). ``--encoded`` pairs are really encoded by the default model;
the other pairs' sides get the vector of an encoded side plus Gaussian noise (``--noise``,
re-normalised), chosen by a hash of the text, while their keyword (BM25) vectors are their own
texts' — so both legs of the hybrid search see a TM of the full size. The HNSW graph is built
before timing (as the background builder does in the app).

Queries (all encoded up front, then timed warm): short snippets of 2 to 4 words cut from
verses (a term lookup) and whole verses, English and Spanish taking turns. Timed per query:

- ``index``: :func:`~mexma_search.tm.memory_index.search_segments` (the hybrid search in the TM
  collection, k=10), without a filter, with a language pair and with a TM filter;
- ``service``: ``Services.concordance`` with the query vector given (the SQL reads, the word
  highlighting, the relevance floor and the translation-side highlight, which runs the
  encoder's first layers over the results' two sides, included; the query not encoded), and
  the same without the translation-side highlight.

    python bench/concordance_latency.py [--pairs 31022] [--encoded 3000] [--queries 300]

Results are printed and written as JSON into ``bench/results/``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from unittest.mock import patch

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench.common import (  # noqa: E402
    DEFAULT_DATA_DIR,
    DEFAULT_MODELS_DIR,
    RESULTS_DIR,
    bench_settings,
    iter_batches,
    latency_stats,
    machine,
    off_main_thread,
    write_report,
)
from mexma_search.app import concordance as concordance_module  # noqa: E402
from mexma_search.app.search import query_language  # noqa: E402
from mexma_search.app.services import Services  # noqa: E402
from mexma_search.app.serving_model import serving_model  # noqa: E402
from mexma_search.index import EdgeIndex  # noqa: E402
from mexma_search.index.keywords import KeywordQuery  # noqa: E402
from mexma_search.index.points import tm_collection_name  # noqa: E402
from mexma_search.jobs.backends import open_services  # noqa: E402
from mexma_search.store import NewSegment, SegmentOrigin, session_scope  # noqa: E402
from mexma_search.store.translation_memory import add_segments, get_or_create_tm  # noqa: E402
from mexma_search.tm.memory_index import (  # noqa: E402
    SegmentQuery,
    SegmentText,
    index_segments,
    search_segments,
)

TM_NAME = "bible"
COLLECTION = "bench"
WRITE_BATCH = 4096


def read_pairs(data_dir: Path, limit: int) -> list[tuple[str, str]]:
    """The first ``limit`` (English, Spanish) verse pairs."""
    path = data_dir / "bitext" / "bible-en-es.tsv"
    with path.open(encoding="utf-8") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows)
        return [(en, es) for _, en, es in rows][:limit]


def vector_source(
    encoded: dict[str, np.ndarray], noise: float
) -> Callable[[Sequence[str]], np.ndarray]:
    """Texts -> vectors: the real vector of an encoded text, else a noisy copy of an encoded
    text's picked by the text's hash."""
    keys = list(encoded)

    def vectors(texts: Sequence[str]) -> np.ndarray:
        rows = []
        for text in texts:
            if text in encoded:
                rows.append(encoded[text])
                continue
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest())
            rng = np.random.default_rng(seed)
            base = encoded[keys[seed % len(keys)]]
            row = base + rng.normal(0, noise, base.shape).astype(np.float32)
            rows.append(row / np.linalg.norm(row))
        return np.stack(rows)

    return vectors


def fill(services: Services, pairs: list[tuple[str, str]], encoded: int, noise: float) -> float:
    """Store the pairs as one TM and index them; the seconds it took."""
    model = serving_model(services.runtime)
    texts = [text for pair in pairs[:encoded] for text in pair]
    vectors = off_main_thread(model.encoder.encode, texts, prompt="passage", batch_size=32).vectors
    source = vector_source(dict(zip(texts, vectors, strict=True)), noise)
    started = time.perf_counter()
    with session_scope(services.runtime.engine) as session:
        memory = get_or_create_tm(session, COLLECTION, TM_NAME)
        for batch in iter_batches(pairs, WRITE_BATCH):
            rows = add_segments(
                session, memory.id, [NewSegment("en", "es", en, es) for en, es in batch],
                SegmentOrigin.IMPORT,
            )  # fmt: skip
            segments = [SegmentText.of(row, COLLECTION) for row in rows]
            index_segments(services.runtime.index, model.version, source, segments)
    index = services.runtime.index
    if isinstance(index, EdgeIndex):
        index.build(tm_collection_name(model.version))
    return time.perf_counter() - started


def make_queries(pairs: list[tuple[str, str]], n: int, seed: int = 0) -> list[str]:
    """Snippets of 2-4 words and whole verses, English and Spanish taking turns."""
    rng = random.Random(seed)
    queries = []
    for i in range(n):
        text = rng.choice(pairs)[i % 2]
        if i % 4 < 2:
            words = text.split()
            size = rng.randint(2, 4)
            start = rng.randrange(max(1, len(words) - size))
            text = " ".join(words[start : start + size])
        queries.append(text)
    return queries


def time_queries(
    queries: list[str], vectors: dict[str, np.ndarray], run: Callable[[str, np.ndarray], Any]
) -> dict[str, float]:
    seconds = []
    for query in queries:
        started = time.perf_counter()
        run(query, vectors[query])
        seconds.append(time.perf_counter() - started)
    return latency_stats(seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=31022)
    parser.add_argument("--encoded", type=int, default=3000)
    parser.add_argument("--noise", type=float, default=0.02)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    args = parser.parse_args()
    pairs = read_pairs(args.data_dir, args.pairs)
    with tempfile.TemporaryDirectory(prefix="mexma-concordance-") as scratch:
        settings = bench_settings(Path(scratch), args.models_dir, threads=args.threads)
        services = open_services(settings)
        try:
            fill_s = fill(services, pairs, min(args.encoded, len(pairs)), args.noise)
            report = measure(services, pairs, args.queries)
        finally:
            services.runtime.close()
    report.update(
        pairs=len(pairs), points=2 * len(pairs), encoded=args.encoded, fill_s=round(fill_s, 1)
    )
    report["machine"] = machine()
    print(f"{len(pairs)} pairs ({2 * len(pairs)} points), filled in {fill_s:.0f} s")
    for name, stats in report["latency"].items():
        print(f"  {name:28} p50 {stats['p50_ms']:7.2f} ms   p95 {stats['p95_ms']:7.2f} ms")
    print(f"written to {write_report(report, RESULTS_DIR, 'concordance_latency')}")
    return 0


def measure(services: Services, pairs: list[tuple[str, str]], n: int) -> dict[str, Any]:
    """p50/p95 of each kind of concordance search over ``n`` queries (each warm-up once)."""
    runtime = services.runtime
    model = serving_model(runtime)
    queries = make_queries(pairs, n)
    encoded = off_main_thread(model.encoder.encode, queries, prompt="query").vectors
    vectors = dict(zip(queries, encoded, strict=True))
    languages = {query: query_language(query) for query in queries}
    runtime.encode_query = lambda _encoder, query: vectors[query]  # type: ignore[method-assign]

    def index_level(**filters: Any) -> Callable[[str, np.ndarray], Any]:
        def run(query: str, vector: np.ndarray) -> Any:
            keywords = KeywordQuery(query, languages[query])
            asked = SegmentQuery(vector, keywords, 10, **filters)
            return search_segments(runtime.index, model.version, asked)

        return run

    def service(query: str, _vector: np.ndarray) -> Any:
        return services.concordance(None, query, limit=10)

    def no_translation_highlight(query: str, _vector: np.ndarray) -> Any:
        with patch.object(concordance_module, "with_translations", lambda _e, hits, _t: hits):
            return services.concordance(None, query, limit=10)

    runs = {
        "index, no filter": index_level(),
        "index, pair en-es": index_level(languages=("en", "es")),
        "index, tm filter": index_level(tm_ids=[1]),
        "service (no encoding)": service,
        "service, no translation marks": no_translation_highlight,
    }
    for run in runs.values():  # warm
        for query in queries[:20]:
            run(query, vectors[query])
    latency = {
        name: off_main_thread(time_queries, queries, vectors, run) for name, run in runs.items()
    }
    return {"queries": len(queries), "latency": latency}


if __name__ == "__main__":
    raise SystemExit(main())
