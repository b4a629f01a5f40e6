"""Per-collection access in the services: search (a filter of the index query), document
lists, collections, jobs, uploads and deletion only ever reach what the caller may."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest

from mexma_search.app.access import OPERATOR, Caller, Role
from mexma_search.app.services import Services
from mexma_search.jobs.inprocess import InProcessWorker

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
TIMEOUT = 120
PASSWORD = "a long password"


@dataclass
class Library:
    services: Services
    # file name -> document id, and the ingest job of each
    documents: dict[str, int]
    jobs: dict[str, int]

    def caller(self, name: str) -> Caller:
        caller = self.services.caller_for_user(name)
        assert caller is not None
        return caller


@pytest.fixture
def library(services: Services, worker: InProcessWorker) -> Iterator[Library]:
    """Two collections, ``open`` (river_en, river_fr) and ``closed`` (train_de), and users:
    ``rita`` reads ``open``, ``ed`` writes ``open``, ``nora`` has no grant."""
    documents: dict[str, int] = {}
    jobs: dict[str, int] = {}
    for name, collection in [
        ("river_en.txt", "open"),
        ("river_fr.md", "open"),
        ("train_de.txt", "closed"),
    ]:
        (job_id,) = services.ingest_paths([DOCS / name], collection, caller=OPERATOR)
        job = services.wait_for_job(job_id, TIMEOUT)
        assert job.status == "succeeded", job.error
        documents[name] = job.metrics["document_id"]
        jobs[name] = job_id
    accounts = services.accounts
    accounts.add_user("rita", PASSWORD)
    accounts.add_user("ed", PASSWORD, "editor")
    accounts.add_user("nora", PASSWORD)
    accounts.grant("open", user="rita", level="read")
    accounts.grant("open", user="ed", level="write")
    yield Library(services, documents, jobs)


def _found(results: list) -> set[int]:
    return {r.document_id for r in results} | {p.document_id for r in results for p in r.passages}


def test_search_asks_the_index_only_for_the_readable_collections(library: Library) -> None:
    services = library.services
    rita = library.caller("rita")
    index = services.runtime.index
    with mock.patch.object(index, "search", wraps=index.search) as spy:
        results = services.search("Zug Bahnhof river rivière", k=20, caller=rita, group=False)
    assert spy.call_args.kwargs["collection"] == ["open"]
    assert results and all(r.collection == "open" for r in results)
    assert library.documents["train_de.txt"] not in _found(results)
    everything = services.search("Zug Bahnhof river rivière", k=20, caller=OPERATOR)
    assert library.documents["train_de.txt"] in _found(everything)


def test_a_caller_without_access_finds_nothing_whatever_they_ask(library: Library) -> None:
    services = library.services
    nora, rita = library.caller("nora"), library.caller("rita")
    closed = library.documents["train_de.txt"]
    index = services.runtime.index
    with mock.patch.object(index, "search", wraps=index.search) as spy:
        assert services.search("Zug", caller=nora) == []
        assert services.search("Zug", collection="closed", caller=rita) == []
        assert spy.call_count == 0, "nothing readable: the index is not even asked"
        # "more from this document" on a document of a collection they may not read
        assert services.search("Zug", document_id=closed, caller=rita) == []
    assert spy.call_args.kwargs["collection"] == ["open"]
    with pytest.raises(ValueError, match="empty"):
        services.search("  ", caller=nora)


def test_document_lists_collections_and_jobs_show_only_what_may_be_read(
    library: Library,
) -> None:
    services = library.services
    rita, nora, ed = library.caller("rita"), library.caller("nora"), library.caller("ed")
    listed = {d.id for d in services.list_documents(caller=rita)}
    assert listed == {library.documents["river_en.txt"], library.documents["river_fr.md"]}
    assert services.list_documents(collection="closed", caller=rita) == []
    assert services.list_documents(caller=nora) == []
    assert len(services.list_documents(caller=OPERATOR)) == 3
    assert services.collections(caller=rita) == ["open"]
    assert services.collections(caller=ed) == ["open"]
    assert services.collections(caller=nora) == []
    assert services.collections(caller=OPERATOR) == ["closed", "open"]
    closed_job, open_job = library.jobs["train_de.txt"], library.jobs["river_en.txt"]
    assert services.visible_job(closed_job, caller=rita) is None
    visible = services.visible_job(open_job, caller=rita)
    assert visible is not None and visible.id == open_job
    assert services.visible_job(open_job, caller=nora) is None
    assert services.visible_job(closed_job, caller=OPERATOR) is not None


def test_readers_cannot_upload_and_nothing_is_kept(library: Library) -> None:
    services = library.services
    assert services.settings.uploads_dir is not None
    before = sorted(services.settings.uploads_dir.rglob("*"))
    for user, collection in [("rita", "open"), ("rita", "brand-new"), ("ed", "closed")]:
        with pytest.raises(PermissionError, match=f"{user} may not add documents"):
            services.ingest_paths(
                [DOCS / "bakery_es.html"], collection, caller=library.caller(user)
            )
    assert sorted(services.settings.uploads_dir.rglob("*")) == before
    assert services.collections(caller=OPERATOR) == ["closed", "open"]


def test_editors_upload_into_their_collections_and_new_ones_and_own_them(
    library: Library,
) -> None:
    services = library.services
    ed = library.caller("ed")
    for collection in ("open", "ed-notes"):
        (job_id,) = services.ingest_paths([DOCS / "bakery_es.html"], collection, caller=ed)
        assert services.wait_for_job(job_id, TIMEOUT).status == "succeeded"
    ed = library.caller("ed")  # a new collection was granted to its creator
    assert ed.may_write("ed-notes")
    uploaded = {
        (d.collection, d.owner)
        for d in services.list_documents(caller=ed)
        if d.filename == "bakery_es.html"
    }
    assert uploaded == {("open", "ed"), ("ed-notes", "ed")}
    assert {d.owner for d in services.list_documents(caller=OPERATOR)} == {None, "ed"}
    rita = library.caller("rita")
    assert "ed-notes" not in services.collections(caller=rita)


def test_editors_delete_only_their_own_documents_and_admins_any(library: Library) -> None:
    services = library.services
    ed, rita = library.caller("ed"), library.caller("rita")
    (job_id,) = services.ingest_paths([DOCS / "bakery_es.html"], "open", caller=ed)
    own = services.wait_for_job(job_id, TIMEOUT).metrics["document_id"]
    someone_elses = library.documents["river_en.txt"]
    closed = library.documents["train_de.txt"]
    with pytest.raises(PermissionError, match="ed may not delete"):
        services.delete_document(someone_elses, caller=ed)
    with pytest.raises(PermissionError, match="rita may not delete"):
        services.delete_document(own, caller=rita)
    # a document the caller may not read is as good as absent
    assert services.delete_document(closed, caller=ed) is False
    assert services.delete_document(own, caller=ed) is True
    admin = Caller("boss", Role.ADMIN)
    assert services.delete_document(closed, caller=admin) is True
    remaining = {d.id for d in services.list_documents(caller=OPERATOR)}
    assert remaining == {someone_elses, library.documents["river_fr.md"]}
