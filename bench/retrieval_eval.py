"""Retrieval quality of the default model on the dev sets of ``bench/retrieval_sets/``.

For each set (``--sets``, default ``wiki bible``): its corpus is ingested through the real
pipeline (``Services.ingest_paths``, in-process worker) into a fresh embedded data directory,
then every query runs through ``Services.search`` in each mode (dense, hybrid); recall@1,
recall@10, MRR@10 and nDCG@10 (percent) are printed per query group (``en->fr`` ...), for
same-language and cross-language queries, and for all. Results are also written as JSON into
``bench/results/``, with each query's top documents' scores (the cosine of their best-ranked
passage) and whether they answer it: ``bench/calibrate_relevance.py`` fits the relevance
labels on them. ``--no-title-in-embedding`` ingests without document titles prepended to
passages for embedding (``MEXMA_TITLE_IN_EMBEDDING``).

    python bench/retrieval_eval.py [--sets wiki bible] [--models-dir DIR] [--threads 2]
        [--label before] [--no-title-in-embedding]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Hashable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench.common import (  # noqa: E402
    DEFAULT_MODELS_DIR,
    RESULTS_DIR,
    bench_settings,
    machine,
    wait_until_done,
)
from mexma_search.app.access import OPERATOR  # noqa: E402
from mexma_search.app.relevance import match_kind  # noqa: E402
from mexma_search.app.retrieval_eval import (  # noqa: E402
    DocumentNames,
    RetrievalQuery,
    collection_documents,
    ranking,
    read_queries,
)
from mexma_search.app.search import SEARCH_MODES, SearchMode, query_language  # noqa: E402
from mexma_search.app.services import Services  # noqa: E402
from mexma_search.app.views import SearchResult  # noqa: E402
from mexma_search.encoder.default_model import prepare_default_model  # noqa: E402
from mexma_search.encoder.retrieval_metrics import score_rankings  # noqa: E402
from mexma_search.jobs.backends import open_services  # noqa: E402
from mexma_search.jobs.inprocess import InProcessWorker  # noqa: E402

SETS_DIR = REPO_ROOT / "bench" / "retrieval_sets"
COLLECTION = "dev"
Ranked = tuple[list[Hashable], set[Hashable]]
# documents per query whose scores are kept for calibration (a result page)
SCORED_DOCUMENTS = 10


def kind(query: RetrievalQuery) -> str:
    """``same`` or ``cross`` language, from the query's group ``a->b``."""
    source, _, target = (query.group or "").partition("->")
    return "same" if source == target else "cross"


def ingest(services: Services, corpus: Path, timeout: float) -> float:
    """Ingest every file of ``corpus``; the seconds it took."""
    started = time.perf_counter()
    job_ids = services.ingest_paths(
        sorted(corpus.iterdir()), collection=COLLECTION, caller=OPERATOR
    )
    return wait_until_done(services, job_ids, timeout) - started


def scores_by(queries: Sequence[RetrievalQuery], rankings: Sequence[Ranked]) -> dict[str, Any]:
    """Scores per group, per kind (same/cross language) and for all queries."""
    buckets: dict[str, list[Ranked]] = defaultdict(list)
    for query, ranked in zip(queries, rankings, strict=True):
        for name in (query.label, kind(query), "all"):
            buckets[name].append(ranked)
    return {name: score_rankings(rows).to_dict() for name, rows in sorted(buckets.items())}


def answers_by_text(queries: Sequence[RetrievalQuery], names: DocumentNames) -> dict[str, set[int]]:
    """The documents that answer each query text (a text may be asked of several documents,
    e.g. an article in each language)."""
    found: dict[str, set[int]] = defaultdict(set)
    for query in queries:
        found[query.query] |= names.ids(query)
    return found


def scored_documents(
    results: Sequence[SearchResult], answers: set[int], language: str | None
) -> list[list[Any]]:
    """``[score, answers the query, kind]`` of the first SCORED_DOCUMENTS documents of a
    passage ranking, each scored by its best-ranked passage; ``kind``: ``same`` when that
    passage is in the query's (detected) ``language``, else ``cross``, as search labels it."""
    rows: dict[int, list[Any]] = {}
    for result in results:
        if result.document_id not in rows and len(rows) < SCORED_DOCUMENTS:
            rows[result.document_id] = [
                round(result.score, 5),
                result.document_id in answers,
                match_kind(language, result.lang),
            ]
    return list(rows.values())


def evaluate_set(
    services: Services, directory: Path, timeout: float, modes: Sequence[SearchMode]
) -> dict[str, Any]:
    """Ingest one set and score its queries with each search mode (passages ranked one by
    one)."""
    ingest_s = ingest(services, directory / "corpus", timeout)
    queries = read_queries(directory / "queries.jsonl")
    documents = collection_documents(services, COLLECTION)
    names = DocumentNames.of(documents)
    result: dict[str, Any] = {
        "documents": len(documents),
        "passages": sum(document.n_chunks for document in documents),
        "queries": len(queries),
        "ingest_s": round(ingest_s, 1),
        "modes": {},
    }
    answers = answers_by_text(queries, names)
    for mode in modes:
        last: list[SearchResult] = []

        def search(
            query: str, k: int, mode: SearchMode = mode, last: list[SearchResult] = last
        ) -> list[SearchResult]:
            last[:] = services.search(
                query,
                k,
                collection=COLLECTION,
                caller=OPERATOR,
                highlight=False,
                mode=mode,
                group=False,
            )
            return last

        started = time.perf_counter()
        rankings: list[Ranked] = []
        scored: dict[str, list[list[Any]]] = {}
        for query in queries:
            rankings.append(ranking(query, names, search))
            if query.query not in scored:  # a text asked of several documents counts once
                language = query_language(query.query)
                scored[query.query] = scored_documents(last, answers[query.query], language)
        result["modes"][mode] = {
            "search_s": round(time.perf_counter() - started, 1),
            "scores": scores_by(queries, rankings),
            "scored_documents": [row for rows in scored.values() for row in rows],
        }
    return result


def print_table(name: str, result: dict[str, Any]) -> None:
    print(
        f"\n{name}: {result['documents']} documents, {result['passages']} passages, "
        f"{result['queries']} queries (ingest {result['ingest_s']} s)"
    )
    print(f"{'mode':<7} {'group':<8} {'n':>4} {'R@1':>6} {'R@10':>6} {'MRR@10':>7} {'nDCG@10':>8}")
    for mode, found in result["modes"].items():
        for group, s in found["scores"].items():
            print(
                f"{mode:<7} {group:<8} {s['n']:>4} {s['recall@1']:>6.1f} {s['recall@10']:>6.1f} "
                f"{s['mrr@10']:>7.1f} {s['ndcg@10']:>8.1f}"
            )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", default=["wiki", "bible"])
    parser.add_argument("--sets-dir", type=Path, default=SETS_DIR)
    parser.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--label", default="", help="a name for this run in the JSON report")
    parser.add_argument("--modes", nargs="+", choices=SEARCH_MODES, default=list(SEARCH_MODES))
    parser.add_argument(
        "--title-in-embedding",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="prepend each document's title to its passages for embedding (the default)",
    )
    args = parser.parse_args(argv)
    prepare_default_model(args.models_dir)
    report: dict[str, Any] = {
        "label": args.label,
        "machine": machine(),
        "title_in_embedding": args.title_in_embedding,
        "sets": {},
    }
    for name in args.sets:
        with tempfile.TemporaryDirectory(prefix="mexma-retrieval-bench-") as tmp:
            # highlight is off, so sentence vectors are not needed at ingest
            settings = bench_settings(
                Path(tmp) / "data", args.models_dir, threads=args.threads, sentence_vectors="query"
            ).model_copy(update={"title_in_embedding": args.title_in_embedding})
            services = open_services(settings)
            try:
                with InProcessWorker(services):
                    result = evaluate_set(services, args.sets_dir / name, args.timeout, args.modes)
            finally:
                services.runtime.close()
        report["sets"][name] = result
        print_table(name, result)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = RESULTS_DIR / f"retrieval_eval-{args.label or 'run'}-{stamp}.json"
    path.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
