"""Search reads stored sentence vectors for the passages it shows, not for every candidate."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from mexma_search.app.access import OPERATOR
from mexma_search.app.services import Services
from mexma_search.app.views import SearchResult
from mexma_search.index import Hit
from mexma_search.jobs.inprocess import InProcessWorker

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
TIMEOUT = 60


def _shown(results: list[SearchResult]) -> list[int]:
    return sorted(r.chunk_id for card in results for r in (card, *card.passages))


def test_sentence_vectors_are_read_for_the_shown_passages_only(
    services: Services, worker: InProcessWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.wait_for_jobs(services.ingest_paths([DOCS], caller=OPERATOR), TIMEOUT)
    index = services.runtime.index
    reads: list[list[int]] = []
    read = index.with_sentence_vectors

    def recorded(hits: Sequence[Hit], target: str = "chunks") -> list[Hit]:
        reads.append(sorted(hit.chunk_id for hit in hits))
        return read(hits, target)

    monkeypatch.setattr(index, "with_sentence_vectors", recorded)
    cards = services.search("river bridges", k=2, caller=OPERATOR)
    assert reads == [_shown(cards)]
    # the grouped search ranked more passages than it shows
    assert len(services.search("river bridges", k=10, group=False, caller=OPERATOR)) > len(reads[0])
    reads.clear()
    page = services.search_page(
        "river bridges", page=2, page_size=1, show_all=True, caller=OPERATOR
    )
    assert reads == [_shown(list(page.results))]
    reads.clear()
    services.search("river bridges", k=2, highlight=False, caller=OPERATOR)
    assert reads == []
