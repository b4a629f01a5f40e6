"""Retrieval evaluation: run a file of queries through search and score the rankings.

A query file is JSONL, one query per line::

    {"query": "...", "document": "file name or id", "lang": "en", "group": "en->fr"}
    {"query": "...", "passage": "file name or id#passage number"}

``document``: the query is answered by that document (any of its passages); the ranking is
of documents, each at the place of its best passage. ``passage``: by that passage (its
number as ``search`` shows it, from 0); the ranking is of passages. ``lang`` and ``group``
are optional; the scores are given for all queries and per group (``group``, else ``lang``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from mexma_search.app.access import OPERATOR
from mexma_search.app.search import SearchMode
from mexma_search.app.views import MAX_K, DocumentInfo, SearchResult
from mexma_search.encoder.retrieval_metrics import RetrievalScores, score_rankings

if TYPE_CHECKING:
    from mexma_search.app.services import Services

ALL = "all"
# Search results read per query for a document ranking: enough passages for 10 documents.
DOCUMENT_DEPTH = 50
PASSAGE_DEPTH = 10
LIST_PAGE = 1000

Searcher = Callable[[str, int], list[SearchResult]]


class QueryFileError(ValueError):
    """A query file that cannot be used: the message names the line and the problem."""


@dataclass(frozen=True)
class RetrievalQuery:
    """One query and what should answer it: a document, or one passage (``passage`` >= 0)."""

    query: str
    document: str
    passage: int | None = None
    lang: str | None = None
    group: str | None = None
    line: int = 0

    @property
    def label(self) -> str:
        """The group this query's scores also count in."""
        return self.group or self.lang or ALL


def _target(record: dict[str, Any], where: str) -> tuple[str, int | None]:
    has_document, has_passage = "document" in record, "passage" in record
    if has_document == has_passage:
        raise QueryFileError(f"{where}: give either 'document' or 'passage'")
    if has_document:
        if not isinstance(record["document"], str | int) or record["document"] == "":
            raise QueryFileError(f"{where}: 'document' must be a file name or an id")
        return str(record["document"]), None
    document, sep, number = str(record["passage"]).rpartition("#")
    if not sep or not document or not number.isdigit():
        raise QueryFileError(f"{where}: 'passage' must be 'file name or id#passage number'")
    return document, int(number)


def parse_query(line: str, number: int) -> RetrievalQuery:
    """One line of a query file (``number`` counts from 1, for messages)."""
    where = f"line {number}"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise QueryFileError(f"{where}: not JSON ({exc.msg})") from exc
    if not isinstance(record, dict):
        raise QueryFileError(f"{where}: expected a JSON object")
    query = record.get("query")
    if not isinstance(query, str) or not query.strip():
        raise QueryFileError(f"{where}: 'query' must be a non-empty string")
    document, passage = _target(record, where)
    optional = {key: record.get(key) for key in ("lang", "group")}
    for key, value in optional.items():
        if value is not None and not isinstance(value, str):
            raise QueryFileError(f"{where}: '{key}' must be a string")
    return RetrievalQuery(query, document, passage, optional["lang"], optional["group"], number)


def read_queries(path: Path) -> list[RetrievalQuery]:
    """The queries of a JSONL query file (blank lines skipped); QueryFileError if unusable."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryFileError(f"{path}: cannot be read ({exc})") from exc
    queries = [parse_query(line, n) for n, line in enumerate(lines, start=1) if line.strip()]
    if not queries:
        raise QueryFileError(f"{path}: no queries")
    return queries


@dataclass
class DocumentNames:
    """The documents of a collection by id, file name and base name (for query targets)."""

    by_key: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def of(cls, documents: Iterable[DocumentInfo]) -> DocumentNames:
        names = cls()
        for document in documents:
            for key in (str(document.id), document.filename, PurePath(document.filename).name):
                names.by_key[key].add(document.id)
        return names

    def ids(self, query: RetrievalQuery) -> set[int]:
        """The ids of the documents that ``query`` names; QueryFileError if none."""
        found = self.by_key.get(query.document)
        if not found:
            raise QueryFileError(
                f"line {query.line}: document {query.document!r} is not in the collection"
            )
        return found


def _unique(keys: Iterable[Hashable]) -> list[Hashable]:
    return list(dict.fromkeys(keys))


def ranking(
    query: RetrievalQuery, names: DocumentNames, search: Searcher
) -> tuple[list[Hashable], set[Hashable]]:
    """The query's ranked keys (documents, or passages) and the keys that answer it."""
    ids = names.ids(query)
    if query.passage is None:
        hits = search(query.query, min(DOCUMENT_DEPTH, MAX_K))
        return _unique(hit.document_id for hit in hits), set(ids)
    hits = search(query.query, PASSAGE_DEPTH)
    relevant: set[Hashable] = {(document_id, query.passage) for document_id in ids}
    return _unique((hit.document_id, hit.chunk) for hit in hits), relevant


@dataclass(frozen=True)
class RetrievalReport:
    """Scores of one search mode: for all queries and per group."""

    mode: str
    overall: RetrievalScores
    groups: dict[str, RetrievalScores]

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "all": self.overall.to_dict(),
            "groups": {name: scores.to_dict() for name, scores in self.groups.items()},
        }


def evaluate_retrieval(
    queries: Sequence[RetrievalQuery],
    documents: Iterable[DocumentInfo],
    search: Searcher,
    mode: str,
) -> RetrievalReport:
    """Run every query through ``search(query, k)`` and score the rankings against the
    targets, which must be among ``documents`` (the collection searched)."""
    names = DocumentNames.of(documents)
    rankings = [ranking(query, names, search) for query in queries]
    by_group: dict[str, list[tuple[list[Hashable], set[Hashable]]]] = defaultdict(list)
    for query, result in zip(queries, rankings, strict=True):
        by_group[query.label].append(result)
    groups = {name: score_rankings(rows) for name, rows in sorted(by_group.items())}
    if set(groups) == {ALL}:
        groups = {}
    return RetrievalReport(mode, score_rankings(rankings), groups)


def format_reports(reports: Sequence[RetrievalReport]) -> str:
    """The reports as one table: a row per mode and group, scores in percent."""
    lines = [
        f"{'mode':<7} {'group':<14} {'queries':>7} {'R@1':>6} {'R@10':>6} "
        f"{'MRR@10':>7} {'nDCG@10':>8}"
    ]
    for report in reports:
        for name, scores in [*report.groups.items(), (ALL, report.overall)]:
            lines.append(
                f"{report.mode:<7} {name:<14} {scores.n:>7} {scores.recall_at_1:>6.1f} "
                f"{scores.recall_at_10:>6.1f} {scores.mrr_at_10:>7.1f} {scores.ndcg_at_10:>8.1f}"
            )
    return "\n".join(lines)


def collection_documents(services: Services, collection: str) -> list[DocumentInfo]:
    """Every document of ``collection``; ValueError if it has none."""
    documents: list[DocumentInfo] = []
    while page := services.list_documents(
        collection=collection, limit=LIST_PAGE, offset=len(documents), caller=OPERATOR
    ):
        documents.extend(page)
    if not documents:
        raise ValueError(f"collection {collection!r} has no documents")
    return documents


def evaluate_modes(
    services: Services,
    queries: Sequence[RetrievalQuery],
    collection: str,
    modes: Sequence[SearchMode],
) -> list[RetrievalReport]:
    """A report per search mode over ``collection`` (passages ranked one by one, so that
    passage targets and document targets are scored on the same ranking)."""
    documents = collection_documents(services, collection)
    reports: list[RetrievalReport] = []
    for mode in modes:

        def search(query: str, k: int, mode: SearchMode = mode) -> list[SearchResult]:
            return services.search(
                query,
                k,
                collection=collection,
                caller=OPERATOR,
                highlight=False,
                mode=mode,
                group=False,
            )

        reports.append(evaluate_retrieval(queries, documents, search, mode))
    return reports
