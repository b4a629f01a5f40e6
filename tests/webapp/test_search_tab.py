"""The search tab's handlers with the tiny model: pages, the pager and the floor's notice."""

from __future__ import annotations

from pathlib import Path

import pytest

import mexma_search.app.relevance
from mexma_search.app.access import OPERATOR
from mexma_search.app.relevance import Thresholds
from mexma_search.app.services import Services
from mexma_search.jobs.inprocess import InProcessWorker
from mexma_search.webapp.search_tab import SearchTab
from mexma_search.webapp.sessions import UserSessions

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
TIMEOUT = 60


@pytest.fixture
def tab(services: Services, worker: InProcessWorker) -> SearchTab:
    services.wait_for_jobs(services.ingest_paths([DOCS]), TIMEOUT)
    return SearchTab(services, UserSessions(services.caller_for_user, lambda: None))


SearchArgs = tuple[str, float, list[str] | None, list[str] | None, int | None, bool]


def _search(page_size: int, show_all: bool) -> SearchArgs:
    return ("river bridges", page_size, None, None, None, show_all)


def test_the_pager_walks_the_pages(tab: SearchTab) -> None:
    html, page, previous, label, following = tab.run(OPERATOR, *_search(2, show_all=True))
    assert page == 1 and html.count('class="mx-card"') == 2
    assert previous.visible is False and following.visible is True
    assert label == "Page 1 · results 1\u20132"
    html2, page2, previous2, label2, _ = tab.next_page(OPERATOR, page, *_search(2, show_all=True))
    assert page2 == 2 and label2 == "Page 2 · results 3\u20134" and previous2.visible is True
    assert html2 != html
    back = tab.previous_page(OPERATOR, page2, *_search(2, show_all=True))
    assert back[:2] == (html, 1)


def test_the_floor_notice_and_show_all(tab: SearchTab, monkeypatch: pytest.MonkeyPatch) -> None:
    never = Thresholds(strong=1.0, good=1.0, floor=1.0)
    table = {mode: dict.fromkeys(("same", "cross"), never) for mode in ("dense", "hybrid")}
    monkeypatch.setitem(mexma_search.app.relevance.CALIBRATION, "tiny-mean0", table)
    html, _, previous, label, following = tab.run(OPERATOR, *_search(3, show_all=False))
    assert "No good match" in html and "mx-card" not in html
    assert label == "" and not following.visible and not previous.visible
    shown, *_ = tab.run(OPERATOR, *_search(3, show_all=True))
    assert shown.count('class="mx-card"') == 3 and "poor match" in shown


def test_an_empty_query_shows_the_intro_and_hides_the_pager(tab: SearchTab) -> None:
    html, page, previous, label, following = tab.run(OPERATOR, "  ", 10, None, None, None, False)
    assert (
        html == tab.intro()
        and page == 1
        and label == ""
        and not previous.visible
        and not following.visible
    )
