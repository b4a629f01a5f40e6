"""Which passage leads a document's card: the best-ranked one, or the one holding the sentence
closest to the query (``app/search.py``, ``best_sentence_first``).

The ``wiki`` corpus (or its first ``--articles`` articles) is ingested once; every ``wiki``
query (an article's first sentence, left out of the article) and every ``exact`` query (a
term found in one document only) is searched with grouped results in each mode. The
document rankings (recall and MRR of documents) are the same whichever passage leads; for
the exact queries, the answer's card's lead counts as right when it holds the term: the
rate is given for the card's best-ranked passage (the lead before) and its lead (now).

    python bench/card_lead.py [--articles 80] [--models-dir DIR] [--threads 2]
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench.common import RESULTS_DIR, machine, write_report  # noqa: E402
from bench.fusion_sweep import bucket, ingested_wiki, wiki_parser  # noqa: E402
from bench.retrieval_eval import COLLECTION  # noqa: E402
from mexma_search.app.retrieval_eval import (  # noqa: E402
    DocumentNames,
    RetrievalQuery,
    collection_documents,
)
from mexma_search.app.search import GROUP_DEPTH, SearchMode  # noqa: E402
from mexma_search.app.services import Services  # noqa: E402
from mexma_search.encoder.retrieval_metrics import score_rankings  # noqa: E402

K = 10


def leads(services: Services, query: RetrievalQuery, mode: SearchMode, answers: set[int]) -> Any:
    """The document ranking of ``query``, and whether the answer's card's best-ranked passage
    and its lead passage hold the query text (None when the answer has no card)."""
    cards = services.search(query.query, K, collection=COLLECTION, mode=mode)
    passages = services.search(
        query.query, K * GROUP_DEPTH, collection=COLLECTION, mode=mode, group=False
    )
    ranked = [card.document_id for card in cards]
    card = next((card for card in cards if card.document_id in answers), None)
    if card is None:
        return ranked, None, None
    first = next(p for p in passages if p.document_id == card.document_id)
    wanted = query.query.casefold()
    return ranked, wanted in first.text.casefold(), wanted in card.text.casefold()


def main(argv: Sequence[str] | None = None) -> None:
    args = wiki_parser(__doc__.split("\n\n")[0]).parse_args(argv)
    rows: dict[str, Any] = {}
    with ingested_wiki(args, "ingest") as (services, queries):
        names = DocumentNames.of(collection_documents(services, COLLECTION))
        modes: tuple[SearchMode, ...] = ("dense", "hybrid")
        for mode in modes:
            rows[mode] = score_mode(services, queries, names, mode)
            print(mode, rows[mode], flush=True)
    report = {"machine": machine(), "articles": args.articles, "queries": len(queries)}
    print(write_report({**report, "rows": rows}, RESULTS_DIR, "card_lead"))


def score_mode(
    services: Services, queries: Sequence[RetrievalQuery], names: DocumentNames, mode: SearchMode
) -> dict[str, Any]:
    """Per kind of query (same, cross, exact): document R@1/R@10/MRR@10 of the grouped
    ranking, and the share of answer cards whose best-ranked passage / lead holds the query."""
    rankings: dict[str, list[Any]] = defaultdict(list)
    held: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for position, query in enumerate(queries):
        name = bucket(query, position).split()[0]
        answers = names.ids(query)
        ranked, first, lead = leads(services, query, mode, answers)
        rankings[name].append((ranked, answers))
        if first is not None and name == "exact":
            held[name].append((first, lead))
    scored: dict[str, Any] = {}
    for name, rows in sorted(rankings.items()):
        found = score_rankings(rows).to_dict()
        pairs = held.get(name, [])
        scored[name] = {
            "R@1/R@10/MRR@10": [round(found[m], 1) for m in ("recall@1", "recall@10", "mrr@10")],
            "cards": len(pairs),
            "best-ranked passage holds it": sum(first for first, _ in pairs),
            "lead passage holds it": sum(lead for _, lead in pairs),
        }
    return scored


if __name__ == "__main__":
    main()
