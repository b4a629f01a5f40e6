"""Retrieval evaluation: the query file, rankings from search hits, and a run over an index."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mexma_search.app.access import OPERATOR
from mexma_search.app.retrieval_eval import (
    QueryFileError,
    RetrievalQuery,
    evaluate_modes,
    evaluate_retrieval,
    format_reports,
    parse_query,
    read_queries,
)
from mexma_search.app.services import Services
from mexma_search.app.views import DocumentInfo, SearchResult
from mexma_search.jobs.inprocess import InProcessWorker

TIMEOUT = 120
TINY_SET = Path(__file__).resolve().parents[1] / "data" / "retrieval"


def _document(document_id: int, filename: str) -> DocumentInfo:
    return DocumentInfo(
        id=document_id, collection="c", filename=filename, file_type="txt", size_bytes=1,
        status="indexed", error=None, languages=["en"], n_chunks=2, duplicate_of_id=None,
        created_at=datetime.now(UTC),
    )  # fmt: skip


def _hit(document_id: int, chunk: int) -> SearchResult:
    return SearchResult(
        score=0.5, text="t", sentence="t", sentence_start=0, sentence_end=1, lang="en",
        document=f"d{document_id}", document_id=document_id, collection="c", chunk=chunk,
        chunk_id=10 * document_id + chunk, model_version="m",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"document": "a.txt"}', "'query' must be a non-empty string"),
        ('{"query": "q"}', "either 'document' or 'passage'"),
        ('{"query": "q", "document": "a", "passage": "a#1"}', "either 'document' or 'passage'"),
        ('{"query": "q", "passage": "a.txt"}', "'file name or id#passage number'"),
        ('{"query": "q", "document": "a", "lang": 3}', "'lang' must be a string"),
    ],
)
def test_a_bad_query_line_is_named_with_its_problem(line: str, problem: str) -> None:
    with pytest.raises(QueryFileError, match=f"line 7: .*{problem}"):
        parse_query(line, 7)


def test_the_query_file_reads_targets_and_groups(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(
        '{"query": "a", "document": 4, "lang": "en"}\n\n'
        '{"query": "b", "passage": "dir/x.txt#2", "group": "en->fr"}\n',
        encoding="utf-8",
    )
    first, second = read_queries(path)
    assert (first.document, first.passage, first.label) == ("4", None, "en")
    assert (second.document, second.passage, second.label, second.line) == (
        "dir/x.txt", 2, "en->fr", 3,
    )  # fmt: skip
    (tmp_path / "empty.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(QueryFileError, match="no queries"):
        read_queries(tmp_path / "empty.jsonl")


def test_documents_rank_at_their_best_passage_and_passages_by_number() -> None:
    documents = [_document(1, "docs/one.txt"), _document(2, "two.txt"), _document(3, "three.txt")]
    hits = {
        "q1": [_hit(1, 0), _hit(1, 1), _hit(2, 0)],  # one.txt first, two.txt second
        "q2": [_hit(3, 0), _hit(1, 0), _hit(2, 1)],  # two.txt third (one.txt counted once)
        "q3": [_hit(2, 0), _hit(2, 1)],  # passage two.txt#1 second
    }
    queries = [
        RetrievalQuery("q1", "one.txt", group="g1"),
        RetrievalQuery("q2", "2", group="g1"),
        RetrievalQuery("q3", "two.txt", passage=1, group="g2"),
    ]
    asked: list[int] = []

    def search(query: str, k: int) -> list[SearchResult]:
        asked.append(k)
        return hits[query][:k]

    report = evaluate_retrieval(queries, documents, search, "dense")
    assert asked == [50, 50, 10]
    assert report.overall.n == 3
    assert report.overall.recall_at_1 == pytest.approx(100 / 3)
    assert report.overall.mrr_at_10 == pytest.approx(100 * (1 + 1 / 3 + 1 / 2) / 3)
    assert report.groups["g2"].recall_at_1 == 0 and report.groups["g2"].recall_at_10 == 100
    table = format_reports([report])
    assert [line.split()[:3] for line in table.splitlines()[1:]] == [
        ["dense", "g1", "2"], ["dense", "g2", "1"], ["dense", "all", "3"],
    ]  # fmt: skip
    with pytest.raises(QueryFileError, match=r"line 0: document 'nine\.txt' is not in the"):
        evaluate_retrieval([RetrievalQuery("q1", "nine.txt")], documents, search, "dense")


def test_a_collection_is_scored_dense_and_hybrid(
    services: Services, worker: InProcessWorker
) -> None:
    corpus = sorted((TINY_SET / "corpus").iterdir())
    services.wait_for_jobs(services.ingest_paths(corpus, "dev", caller=OPERATOR), TIMEOUT)
    queries = read_queries(TINY_SET / "queries.jsonl")
    dense, hybrid = evaluate_modes(services, queries, "dev", ["dense", "hybrid"])
    assert (dense.mode, hybrid.mode) == ("dense", "hybrid")
    for report in (dense, hybrid):
        assert report.overall.n == len(queries) == 8
        assert set(report.groups) == {q.label for q in queries}
        assert 0 <= report.overall.recall_at_1 <= report.overall.recall_at_10 <= 100
    with pytest.raises(ValueError, match="collection 'other' has no documents"):
        evaluate_modes(services, queries, "other", ["dense"])
    with pytest.raises(ValueError, match="unknown search mode 'sparse'"):
        services.search("origami", mode="sparse", caller=OPERATOR)
