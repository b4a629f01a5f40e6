"""Search quality features with the tiny model: document titles, relevance labels, the relevance
floor and pagination (the labels' thresholds are set by each test: the tiny model's cosines
mean nothing)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import mexma_search.app.relevance
import mexma_search.app.search
from mexma_search.app.relevance import CALIBRATION, Thresholds, match_kind, relevance
from mexma_search.app.services import Services
from mexma_search.app.settings import Settings
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.jobs.backends import open_services
from mexma_search.jobs.inprocess import InProcessWorker

TIMEOUT = 60
DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
TINY_MODEL = "tiny-mean0"
PSALM = "Psalm 23\n\nThe Lord is my shepherd; I shall not want.\n"


@pytest.fixture
def titled(tmp_path: Path) -> Path:
    (tmp_path / "psalm.txt").write_text(PSALM, encoding="utf-8")
    (tmp_path / "untitled.txt").write_text("It rained all day. Then it stopped.", "utf-8")
    return tmp_path


def _set_thresholds(
    monkeypatch: pytest.MonkeyPatch, strong: float, good: float, floor: float
) -> None:
    """Thresholds for every mode and kind of match of the tiny test model."""
    limits = Thresholds(strong=strong, good=good, floor=floor)
    table = {mode: dict.fromkeys(("same", "cross"), limits) for mode in ("dense", "hybrid")}
    monkeypatch.setitem(mexma_search.app.relevance.CALIBRATION, TINY_MODEL, table)


def test_the_title_is_document_metadata_not_a_passage(
    services: Services, worker: InProcessWorker, titled: Path
) -> None:
    services.wait_for_jobs(services.ingest_paths([titled / "psalm.txt", titled / "untitled.txt"]))
    documents = {Path(d.filename).name: d for d in services.list_documents()}
    assert documents["psalm.txt"].title == "Psalm 23"
    assert documents["untitled.txt"].title is None
    results = services.search("shepherd", k=10, group=False, mode="dense")
    assert "Psalm 23" not in {r.text.strip() for r in results}
    by_file = {Path(r.document).name: r for r in results}
    assert by_file["psalm.txt"].document_title == "Psalm 23"
    assert by_file["psalm.txt"].to_dict()["document_title"] == "Psalm 23"
    # no title: the file name stands in
    assert by_file["untitled.txt"].document_title == by_file["untitled.txt"].document


@pytest.mark.parametrize("title_in_embedding", [True, False])
def test_the_title_is_prepended_for_embedding_only_when_set(
    make_settings: Callable[..., Settings],
    titled: Path,
    monkeypatch: pytest.MonkeyPatch,
    title_in_embedding: bool,
) -> None:
    embedded: list[str] = []
    encode = SentenceEncoder.encode

    def spy(self: SentenceEncoder, texts: list[str], *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("prompt") == "passage":
            embedded.extend(texts)
        return encode(self, texts, *args, **kwargs)

    monkeypatch.setattr(SentenceEncoder, "encode", spy)
    services = open_services(make_settings(title_in_embedding=title_in_embedding))
    try:
        with InProcessWorker(services):
            services.wait_for_jobs(services.ingest_paths([titled / "psalm.txt"]), TIMEOUT)
        body = "The Lord is my shepherd; I shall not want."
        assert embedded == [f"Psalm 23\n{body}" if title_in_embedding else body]
        (result,) = services.search("shepherd", k=1)
        assert result.text == body  # the passage itself stays untitled
    finally:
        services.runtime.close()


def test_relevance_labels_apply_the_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    _set_thresholds(monkeypatch, strong=0.8, good=0.6, floor=0.4)
    scores = (0.9, 0.8, 0.7, 0.6, 0.5, 0.39)
    labels = [relevance(score, TINY_MODEL, "hybrid", "same") for score in scores]
    assert labels == ["strong", "strong", "good", "good", "weak", "poor"]
    assert relevance(0.9, "uncalibrated", "hybrid", "same") is None
    assert match_kind("en", "en") == "same"
    assert match_kind("en", "fr") == match_kind(None, "en") == "cross"


def test_the_calibration_orders_its_thresholds() -> None:
    for modes in CALIBRATION.values():
        assert set(modes) == {"dense", "hybrid"}
        for kinds in modes.values():
            assert set(kinds) == {"same", "cross"}
            for limits in kinds.values():
                assert 0 < limits.floor <= limits.good <= limits.strong <= 1


@pytest.fixture
def indexed(services: Services, worker: InProcessWorker) -> Iterator[Services]:
    services.wait_for_jobs(services.ingest_paths([DOCS]), TIMEOUT)
    yield services


def _document_scores(services: Services, query: str) -> list[float]:
    """The score of each document's best-ranked passage (dense), best first: what labels
    the document's card."""
    passages = services.search(query, k=100, mode="dense", group=False)
    best: dict[int, float] = {}
    for passage in passages:
        best.setdefault(passage.document_id, passage.score)
    return list(best.values())


def test_results_carry_the_label_of_their_score(
    indexed: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    scores = sorted(_document_scores(indexed, "river bridges"))[-20:]
    _set_thresholds(monkeypatch, strong=scores[-1], good=scores[-3], floor=scores[-6])
    results = indexed.search("river bridges", k=20, mode="dense")
    assert [r.relevance for r in results[:6]] == ["strong", "good", "good", *["weak"] * 3]
    assert {r.relevance for r in results[6:]} == {"poor"}


def test_pages_follow_on_from_each_other(indexed: Services) -> None:
    whole = indexed.search("river bridges", k=9, mode="dense")
    pages = [
        indexed.search_page("river bridges", page=n, page_size=3, show_all=True, mode="dense")
        for n in (1, 2, 3)
    ]
    assert [r.document_id for p in pages for r in p.results] == [r.document_id for r in whole]
    assert [p.page for p in pages] == [1, 2, 3] and all(p.has_next for p in pages[:2])
    again = indexed.search_page("river bridges", page=2, page_size=3, show_all=True, mode="dense")
    assert again == pages[1]
    documents = len(indexed.search("river bridges", k=100, mode="dense"))
    last = indexed.search_page("river bridges", page=-(-documents // 3), page_size=3)
    assert not last.has_next
    with pytest.raises(ValueError, match="page must be between 1 and 34"):
        indexed.search_page("river", page=35, page_size=3)
    with pytest.raises(ValueError, match="page size"):
        indexed.search_page("river", page_size=0)


def test_the_floor_hides_weak_results_until_asked(
    indexed: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    ranked = indexed.search("river bridges", k=100, mode="dense")
    scores = sorted(_document_scores(indexed, "river bridges"), reverse=True)
    _set_thresholds(monkeypatch, strong=1.0, good=1.0, floor=scores[3])
    page = indexed.search_page("river bridges", page_size=10, mode="dense")
    assert [r.document_id for r in page.results] == [r.document_id for r in ranked[:4]]
    assert page.hidden == len(ranked) - 4 and not page.has_next and not page.no_good_match
    shown = indexed.search_page("river bridges", page_size=10, mode="dense", show_all=True)
    assert [r.document_id for r in shown.results] == [r.document_id for r in ranked[:10]]
    assert shown.hidden == 0
    _set_thresholds(monkeypatch, strong=1.0, good=1.0, floor=1.0)
    nothing = indexed.search_page("river bridges", mode="dense")
    assert nothing.results == () and nothing.no_good_match


def test_the_count_of_hidden_results_does_not_depend_on_the_page_size(
    services: Services, worker: InProcessWorker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # few passages: the index returns all of them to a shallow ranking
    for n, topic in enumerate(["river", "bridge", "bakery", "train", "piano", "ferry", "snow"]):
        (tmp_path / f"{n}.txt").write_text(f"A short note about the {topic}.\n", "utf-8")
    services.wait_for_jobs(services.ingest_paths([tmp_path]), TIMEOUT)
    ranked = services.search("river bridges", k=100, mode="dense")
    scores = sorted(_document_scores(services, "river bridges"), reverse=True)
    _set_thresholds(monkeypatch, strong=1.0, good=1.0, floor=scores[1])
    # every page size that holds the two results above the floor: all the rest are hidden
    for page_size in (2, 3, 5, 10):
        page = services.search_page("river bridges", page_size=page_size, mode="dense")
        assert len(page.results) == 2 and not page.has_next
        assert page.hidden == len(ranked) - 2, page_size


def test_a_floor_that_leaves_a_page_short_reads_the_ranking_further(
    indexed: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    ranked = indexed.search("river bridges", k=100, mode="dense")
    # the two best are "poor" (as a keyword-ranked hybrid result may be): a page of 2 holds
    # the results ranked 3 and 4, found past the first page's ranking depth
    second = sorted(r.score for r in ranked)[-2]
    monkeypatch.setattr(
        mexma_search.app.search,
        "relevance",
        lambda score, model, mode, kind: "poor" if score >= second else "weak",
    )
    page = indexed.search_page("river bridges", page_size=2, mode="dense")
    assert [r.document_id for r in page.results] == [r.document_id for r in ranked[2:4]]
    assert page.hidden == 2 and page.has_next


def test_a_model_without_a_calibration_is_not_labelled_and_hides_nothing(
    indexed: Services,
) -> None:
    ranked = indexed.search("river bridges", k=100, mode="dense")
    assert {r.relevance for r in ranked} == {""}
    page = indexed.search_page("river bridges", page_size=50, mode="dense")
    assert len(page.results) == len(ranked) and page.hidden == 0


def test_a_sentence_takes_its_best_guess_language_for_keywords_a_name_does_not() -> None:
    sentence = "Honoré de Balzac was a French novelist and playwright."
    assert mexma_search.app.search.query_language(sentence) is None  # the identifier is unsure
    assert mexma_search.app.search.keyword_language(sentence) == "en"
    assert mexma_search.app.search.keyword_language("Westminster Abbey") is None
    assert mexma_search.app.search.keyword_language("ISO 9001") is None
