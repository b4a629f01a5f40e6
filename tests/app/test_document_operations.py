"""The library's listing: filters by status, collection and language, pages, and clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from mexma_search.app.access import Caller, Role
from mexma_search.app.document_operations import LibraryQuery
from mexma_search.app.services import Services
from mexma_search.jobs.inprocess import InProcessWorker

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
TIMEOUT = 60


def _names(services: Services, query: LibraryQuery) -> list[str]:
    return [document.filename for document in services.library_page(query).documents]


def test_the_library_filters_and_pages(services: Services, worker: InProcessWorker) -> None:
    jobs = services.ingest_paths([DOCS / "river_en.txt", DOCS / "train_de.txt"], "a")
    jobs += services.ingest_paths([DOCS / "river_fr.md"], "b")
    jobs += services.ingest_paths([DOCS / "broken.pdf"], "b")
    services.wait_for_jobs(jobs, TIMEOUT)

    assert _names(services, LibraryQuery(collection="a")) == ["train_de.txt", "river_en.txt"]
    assert _names(services, LibraryQuery(language="de")) == ["train_de.txt"]
    assert _names(services, LibraryQuery(collection="b", status="failed")) == ["broken.pdf"]
    assert _names(services, LibraryQuery(collection="b", status="indexed", language="fr")) == [
        "river_fr.md"
    ]

    second = services.library_page(LibraryQuery(page=2, page_size=3))
    assert (second.total, second.pages, second.page) == (4, 2, 2)
    assert [d.filename for d in second.documents] == ["river_en.txt"]
    # a page past the end shows the last one
    assert services.library_page(LibraryQuery(page=9, page_size=3)).page == 2
    empty = services.library_page(LibraryQuery(collection="none"))
    assert (empty.total, empty.pages, empty.documents) == (0, 1, [])


def test_the_library_shows_a_caller_only_the_collections_it_may_read(
    services: Services, worker: InProcessWorker
) -> None:
    jobs = services.ingest_paths([DOCS / "river_en.txt"], "open")
    jobs += services.ingest_paths([DOCS / "train_de.txt"], "closed")
    services.wait_for_jobs(jobs, TIMEOUT)
    reader = Caller("rita", Role.READER, readable=frozenset({"open"}), writable=frozenset())

    listing = services.library_page(LibraryQuery(), caller=reader)
    assert [d.filename for d in listing.documents] == ["river_en.txt"]
    assert listing.total == 1
    assert services.library_page(LibraryQuery(collection="closed"), caller=reader).total == 0
    nobody = Caller("nobody", Role.READER, readable=frozenset(), writable=frozenset())
    assert services.library_page(LibraryQuery(), caller=nobody).documents == []
    assert services.library_page(LibraryQuery()).total == 2


@pytest.mark.parametrize(
    ("query", "message"),
    [(LibraryQuery(status="done"), "unknown status 'done'"), (LibraryQuery(page=0), "start at 1")],
)
def test_a_bad_listing_query_is_refused_by_name(
    services: Services, query: LibraryQuery, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        services.library_page(query)
