"""Hybrid fusion settings swept on one ingest of the ``wiki`` retrieval set.

The ``wiki`` corpus is ingested once (as ``bench/retrieval_eval.py`` does); then its queries
(same- and cross-language) and the ``exact`` set's keyword queries (names, numbers, codes;
``bench/build_exact_term_set.py``) run in dense mode and in hybrid mode under each fusion
setting (the keyword weights for passages in a query's own language, in others and for a
query of unclear language, ``HYBRID_DEPTH`` and ``STANDOUT_RATIO`` of ``index/fusion.py``,
and ``SENTENCE_WORDS`` of ``app/search.py``, patched for the run). Recall@1, recall@10 and
MRR@10 are printed per half: ``dev`` (tune on it) and ``test`` (report it); a wiki article's
two queries fall in the same half.

Every article is in the corpus in all three languages, and a cross-language query is a
sentence of the article in the query's language: in the ``cross`` rows the answer competes
with that version, which holds the query word for word. The ``xonly`` rows run the same
queries restricted (``lang`` filter, on both legs) to the answer's language: a query in one
language against documents in another only.

``--articles N`` keeps the first N articles' queries and only the documents some kept query
answers (a smaller, easier corpus, for a loaded machine); sentence vectors are left to search
time (they play no part in these rankings).

    python bench/fusion_sweep.py [--articles 80] [--models-dir DIR] [--threads 2]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import mexma_search.app.search  # noqa: E402
import mexma_search.index.fusion  # noqa: E402
from bench.common import (  # noqa: E402
    DEFAULT_MODELS_DIR,
    RESULTS_DIR,
    bench_settings,
    machine,
    write_report,
)
from bench.retrieval_eval import COLLECTION, SETS_DIR, Ranked, ingest, kind  # noqa: E402
from mexma_search.app.retrieval_eval import (  # noqa: E402
    DocumentNames,
    RetrievalQuery,
    collection_documents,
    ranking,
    read_queries,
)
from mexma_search.app.search import SearchMode  # noqa: E402
from mexma_search.app.services import Services  # noqa: E402
from mexma_search.app.views import SearchResult  # noqa: E402
from mexma_search.encoder.default_model import prepare_default_model  # noqa: E402
from mexma_search.encoder.retrieval_metrics import score_rankings  # noqa: E402
from mexma_search.jobs.backends import open_services  # noqa: E402
from mexma_search.jobs.inprocess import InProcessWorker  # noqa: E402

Setting = tuple[float, float, float, int, float, int]
# name -> (keyword weight for passages in the query's language, in others, for a query of
# unclear language; depth; standout ratio: inf for score fusion alone; the words from which
# a query's best-guess language holds: SENTENCE_WORDS of app/search.py)
NEVER = 10**6
SETTINGS: dict[str, Setting] = {
    ".15/0/1 d100 standout 2, guess": (0.15, 0.0, 1.0, 100, 2.0, 5),
    ".3/0/.5 d100 standout 2, guess": (0.3, 0.0, 0.5, 100, 2.0, 5),
    ".3/0/.5 d100 standout 2, no guess": (0.3, 0.0, 0.5, 100, 2.0, NEVER),
    ".3/0/1 d100 standout 2, guess": (0.3, 0.0, 1.0, 100, 2.0, 5),
    ".3/0/.25 d100 standout 2, guess": (0.3, 0.0, 0.25, 100, 2.0, 5),
    ".5/0/.5 d100 standout 2, guess": (0.5, 0.0, 0.5, 100, 2.0, 5),
    ".15/0/.5 d100 standout 2, guess": (0.15, 0.0, 0.5, 100, 2.0, 5),
    ".3/.05/.5 d100 standout 2, guess": (0.3, 0.05, 0.5, 100, 2.0, 5),
}


def bucket(query: RetrievalQuery, position: int) -> str:
    """``same``/``cross``/``exact`` and ``dev``/``test``."""
    if (query.group or "").startswith("exact-"):
        return (query.group or "").replace("-", " ")
    return f"{kind(query)} {'dev' if (position // 2) % 2 == 0 else 'test'}"


def patched(setting: Setting) -> ExitStack:
    """The fusion constants of ``setting`` in place until the stack closes."""
    same, other, unknown, depth, standout, sentence_words = setting
    stack = ExitStack()
    stack.enter_context(
        mock.patch.object(mexma_search.app.search, "SENTENCE_WORDS", sentence_words)
    )
    fusion = mexma_search.index.fusion
    stack.enter_context(mock.patch.object(fusion, "SAME_LANGUAGE_WEIGHT", same))
    stack.enter_context(mock.patch.object(fusion, "OTHER_LANGUAGE_WEIGHT", other))
    stack.enter_context(mock.patch.object(fusion, "UNKNOWN_LANGUAGE_WEIGHT", unknown))
    stack.enter_context(mock.patch.object(fusion, "HYBRID_DEPTH", depth))
    stack.enter_context(mock.patch.object(fusion, "STANDOUT_RATIO", standout))
    return stack


def scores(
    services: Services, queries: Sequence[RetrievalQuery], mode: SearchMode
) -> dict[str, Any]:
    """Recall@1, recall@10 and MRR@10 per bucket of ``queries`` searched in ``mode``; the
    cross-language ones also restricted to their answer's language (``xonly``)."""
    names = DocumentNames.of(collection_documents(services, COLLECTION))

    def searcher(lang: str | None) -> Callable[[str, int], list[SearchResult]]:
        def search(query: str, k: int) -> list[SearchResult]:
            return services.search(
                query, k, collection=COLLECTION, highlight=False, mode=mode, group=False, lang=lang
            )

        return search

    buckets: dict[str, list[Ranked]] = defaultdict(list)
    for position, query in enumerate(queries):
        name = bucket(query, position)
        buckets[name].append(ranking(query, names, searcher(None)))
        if name.startswith("cross"):
            answer_lang = (query.group or "").partition("->")[2]
            only = ranking(query, names, searcher(answer_lang))
            buckets[name.replace("cross", "xonly")].append(only)
    found = {name: score_rankings(rows).to_dict() for name, rows in sorted(buckets.items())}
    return {
        name: tuple(round(s[m], 1) for m in ("recall@1", "recall@10", "mrr@10"))
        for name, s in found.items()
    }


def subset(
    wiki: list[RetrievalQuery], exact: list[RetrievalQuery], articles: int | None, corpus: Path
) -> list[RetrievalQuery]:
    """The queries of the first ``articles`` articles (all if None), and the exact queries on
    their documents, with those documents copied into ``corpus``."""
    kept = wiki if articles is None else wiki[: 2 * articles]
    names = {query.document for query in kept}
    corpus.mkdir(parents=True)
    for path in sorted((SETS_DIR / "wiki" / "corpus").iterdir()):
        if articles is None or path.name in names:
            shutil.copy(path, corpus / path.name)
    kept_names = {path.name for path in corpus.iterdir()}
    return kept + [query for query in exact if query.document in kept_names]


def wiki_parser(description: str) -> argparse.ArgumentParser:
    """The command line of a bench on an ingest of the ``wiki`` set."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--articles", type=int, help="keep the first N articles only")
    return parser


@contextmanager
def ingested_wiki(
    args: argparse.Namespace, sentence_vectors: str
) -> Iterator[tuple[Services, list[RetrievalQuery]]]:
    """Services with the ``wiki`` corpus (the first ``args.articles`` articles) ingested, and
    its queries and the ``exact`` queries on it; closed afterwards."""
    prepare_default_model(args.models_dir)
    wiki = read_queries(SETS_DIR / "wiki" / "queries.jsonl")
    exact = read_queries(SETS_DIR / "exact" / "queries.jsonl")
    with tempfile.TemporaryDirectory(prefix="mexma-wiki-bench-") as tmp:
        queries = subset(wiki, exact, args.articles, Path(tmp) / "corpus")
        settings = bench_settings(
            Path(tmp) / "data",
            args.models_dir,
            threads=args.threads,
            sentence_vectors=sentence_vectors,
        )
        services = open_services(settings)
        try:
            with InProcessWorker(services):
                ingest(services, Path(tmp) / "corpus", args.timeout)
                yield services, queries
        finally:
            services.runtime.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = wiki_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", help="run only these settings (names as printed)")
    args = parser.parse_args(argv)
    rows: dict[str, Any] = {}
    # sentence vectors are left to search time: they play no part in these rankings
    with ingested_wiki(args, "query") as (services, queries):
        rows["dense"] = scores(services, queries, "dense")
        print("dense", rows["dense"], flush=True)
        for name, setting in SETTINGS.items():
            if args.only and name not in args.only:
                continue
            with patched(setting):
                rows[name] = scores(services, queries, "hybrid")
            print(name, rows[name], flush=True)
    report = {"machine": machine(), "articles": args.articles, "queries": len(queries)}
    print(write_report({**report, "rows": rows}, RESULTS_DIR, "fusion_sweep"))


if __name__ == "__main__":
    main()
