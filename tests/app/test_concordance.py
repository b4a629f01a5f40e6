"""Translation memories and concordance search, end to end with the tiny model (its vectors
mean little: the matches asserted here come from the keyword leg, which is exact)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mexma_search.app.access import OPERATOR, Caller, Role
from mexma_search.app.relevance import CALIBRATION, Thresholds
from mexma_search.app.services import Services
from mexma_search.jobs.inprocess import InProcessWorker
from mexma_search.store import NewSegment

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
BITEXT = Path(__file__).resolve().parents[1] / "fixtures" / "bitext"
TIMEOUT = 60
PAIRS = [
    NewSegment("en", "es", "The river flows through the old town.", "El río atraviesa el casco."),
    NewSegment("en", "es", "The bakery opens at six.", "La panadería abre a las seis."),
    NewSegment("en-GB", "fr-FR", "The bakery sells fresh bread.", "La boulangerie vend du pain."),
]


def _span_words(text: str, spans: list[tuple[int, int]]) -> list[str]:
    return [text[start:end] for start, end in spans]


def test_pairs_added_to_a_tm_are_found_by_either_side_with_the_words_marked(
    services: Services,
) -> None:
    added = services.add_pairs_to_tm(None, "city", "docs", PAIRS, "mined")
    assert (added.added, added.skipped, added.collection) == (3, 0, "docs")
    hits = services.concordance(None, "panadería")
    assert hits[0].src_text == "The bakery opens at six."
    assert hits[0].trg_text == "La panadería abre a las seis."
    assert hits[0].matched_side == "trg"
    assert _span_words(hits[0].trg_text, hits[0].trg_spans) == ["panadería"]
    assert hits[0].src_spans == []
    assert (hits[0].tm, hits[0].collection, hits[0].origin) == ("city", "docs", "mined")
    # the English side, its words stemmed as the keyword search stems them
    river = services.concordance(None, "rivers flowing")[0]
    assert river.matched_side == "src" and river.trg_lang == "es"
    assert _span_words(river.src_text, river.src_spans) == ["river", "flows"]


def test_filters_by_language_pair_either_way_and_by_tm(services: Services) -> None:
    services.add_pairs_to_tm(None, "city", "docs", PAIRS, "aligned")
    services.add_pairs_to_tm(None, "other", "docs", [PAIRS[2]], "import")
    french = services.concordance(None, "bakery", language_pair="fr-en", limit=10)
    assert french and {(h.src_lang, h.trg_lang) for h in french} == {("en", "fr")}
    spanish = services.concordance(None, "bakery", language_pair="en-es")
    assert {(h.src_lang, h.trg_lang) for h in spanish} == {("en", "es")}
    assert {h.tm for h in services.concordance(None, "bakery", tm="other")} == {"other"}
    with pytest.raises(ValueError, match="no translation memory named 'nope'"):
        services.concordance(None, "bakery", tm="nope")
    with pytest.raises(ValueError, match="language pair"):
        services.concordance(None, "bakery", language_pair="english")
    with pytest.raises(ValueError, match="empty"):
        services.concordance(None, "  ")


def test_a_caller_sees_only_the_tms_of_collections_it_may_read(services: Services) -> None:
    services.add_pairs_to_tm(None, "secret", "private", PAIRS, "mined")
    services.add_pairs_to_tm(None, "shared", "open", PAIRS[:1], "mined")
    outsider = Caller("olga", Role.READER, readable=frozenset(), writable=frozenset())
    reader = Caller("rui", Role.READER, readable=frozenset({"open"}), writable=frozenset())
    assert services.concordance(outsider, "bakery") == []
    assert services.list_tms(caller=outsider) == []
    # the tiny model has no relevance floor: every segment it may read is a (poor) match
    assert {h.tm for h in services.concordance(reader, "bakery")} == {"shared"}
    assert {h.tm for h in services.concordance(reader, "river")} == {"shared"}
    assert [m.name for m in services.list_tms(caller=reader)] == ["shared"]
    with pytest.raises(ValueError, match="no translation memory named 'secret'"):
        services.concordance(reader, "bakery", tm="secret")
    with pytest.raises(PermissionError):
        services.add_pairs_to_tm(reader, "shared", "open", PAIRS, "mined")


def test_pairs_already_in_the_tm_or_with_an_empty_side_are_skipped(services: Services) -> None:
    services.add_pairs_to_tm(None, "city", "docs", PAIRS[:2], "mined")
    again = services.add_pairs_to_tm(
        None, "city", "docs", [*PAIRS, NewSegment("en", "es", "Alone.", " ")], "mined"
    )
    assert (again.added, again.skipped) == (1, 3)
    [memory] = services.list_tms()
    assert (memory.segments, memory.pairs) == (3, ("en-es", "en-fr"))
    with pytest.raises(ValueError, match="source language is missing"):
        services.add_pairs_to_tm(None, "city", "docs", [NewSegment("", "es", "a", "b")], "mined")
    with pytest.raises(ValueError, match="'guessed' is not a valid SegmentOrigin"):
        services.add_pairs_to_tm(None, "city", "docs", PAIRS, "guessed")


def test_a_tmx_file_imports_each_source_with_every_other_language(services: Services) -> None:
    added = services.import_tm_file(None, DOCS / "river.tmx", "river", "docs")
    assert added.added == 4
    [memory] = services.list_tms()
    assert memory.pairs == ("en-de", "en-es", "en-fr", "en-zh")
    assert (
        services.concordance(None, "Fähre")[0].src_text
        == "The ferry crosses the river every morning."
    )
    tsv = services.import_tm_file(
        None, BITEXT / "sample.tsv", "sample", "docs", src_lang="en", trg_lang="es"
    )
    assert tsv.added > 0


def test_an_uploaded_tmx_is_a_document_and_a_tm_and_document_search_never_returns_segments(
    services: Services, worker: InProcessWorker
) -> None:
    jobs = services.ingest_paths([DOCS / "river.tmx", DOCS / "bakery_es.html"], caller=OPERATOR)
    document_id = services.wait_for_jobs(jobs, TIMEOUT)[0].metrics["document_id"]
    before = services.search("bakery river", k=50, group=False, caller=OPERATOR)
    services.add_pairs_to_tm(None, "city", "default", PAIRS, "mined")
    assert services.search("bakery river", k=50, group=False, caller=OPERATOR) == before
    assert services.search("panadería", k=5, caller=OPERATOR)[0].document == "bakery_es.html"
    assert services.runtime.index.chunk_collections() == ["chunks__tiny-mean0"]
    memories = {m.name: m for m in services.list_tms()}
    assert memories["river.tmx"].document_id == document_id
    assert memories["river.tmx"].segments == 4
    assert services.concordance(None, "ferry")[0].tm == "river.tmx"
    assert services.delete_document(document_id, caller=OPERATOR)
    assert [m.name for m in services.list_tms()] == ["city"]
    assert {h.tm for h in services.concordance(None, "ferry", limit=20)} == {"city"}


def test_a_meaning_match_under_the_relevance_floor_shows_only_with_the_query_words(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.add_pairs_to_tm(None, "city", "docs", PAIRS, "mined")
    assert len(services.concordance(None, "panadería")) == 3
    out_of_reach = Thresholds(strong=1.0, good=1.0, floor=1.0)
    calibration = {"same": out_of_reach, "cross": out_of_reach}
    monkeypatch.setitem(CALIBRATION, "tiny-mean0", {"dense": calibration, "hybrid": calibration})
    [hit] = services.concordance(None, "panadería")
    assert hit.trg_text == "La panadería abre a las seis." and hit.relevance == "poor"


def test_promoting_a_model_embeds_the_segments_for_it(
    services: Services, worker: InProcessWorker, tiny_cls_model_dir: Path
) -> None:
    services.add_pairs_to_tm(None, "city", "docs", PAIRS, "mined")
    job = services.wait_for_job(services.promote_model(str(tiny_cls_model_dir)), TIMEOUT)
    assert job.status == "succeeded", job.error
    assert job.metrics["tm_segments"] == 3
    assert services.runtime.index.count("tm__tiny-cls0") == 6  # both sides of each
    assert services.concordance(None, "panadería")[0].trg_text == "La panadería abre a las seis."
