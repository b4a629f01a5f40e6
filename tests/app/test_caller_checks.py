"""The services check the caller they are given: reads stay inside the collections it may read,
writes need a role and a collection it may write, promotion needs an admin."""

from __future__ import annotations

from pathlib import Path

import pytest

from mexma_search.app.access import Caller, Role
from mexma_search.app.services import Services
from mexma_search.jobs.inprocess import InProcessWorker

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
TIMEOUT_S = 120
ONLY_A = Caller("ana", Role.EDITOR, readable=frozenset({"a"}), writable=frozenset({"a"}))
READER = Caller("rui", Role.READER)


def test_a_caller_reads_and_writes_only_its_collections(
    services: Services, worker: InProcessWorker
) -> None:
    jobs = services.ingest_paths([DOCS / "river_en.txt"], "a") + services.ingest_paths(
        [DOCS / "river_fr.md"], "b"
    )
    services.wait_for_jobs(jobs, TIMEOUT_S)
    in_b = services.list_documents(collection="b")[0].id

    assert {r.collection for r in services.search("river", caller=ONLY_A)} == {"a"}
    assert services.search("river", collection="b", caller=ONLY_A) == []
    assert {r.collection for r in services.search("river", caller=READER)} == {"a", "b"}
    assert [d.collection for d in services.list_documents(caller=ONLY_A)] == ["a"]
    assert services.list_documents(collection="b", caller=ONLY_A) == []
    assert services.collections(caller=ONLY_A) == ["a"]
    assert services.languages_in_index(caller=ONLY_A) == ["en"]
    assert set(services.languages_in_index()) == {"en", "fr"}
    # the newest job is b's: the one job ana may see still comes back with limit=1
    assert [job.parameters["collection"] for job in services.list_jobs(limit=1)] == ["b"]
    assert [job.id for job in services.list_jobs(limit=1, caller=ONLY_A)] == [jobs[0]]
    with pytest.raises(PermissionError, match="may not read collection 'b'"):
        services.get_document(in_b, caller=ONLY_A)
    with pytest.raises(PermissionError):
        services.document_passages(in_b, caller=ONLY_A)
    passages = services.document_passages(in_b, caller=READER)
    assert passages and all(p.document_id == in_b for p in passages)
    assert services.get_document(999999, caller=READER) is None

    assert not services.delete_document(in_b, caller=ONLY_A)  # unreadable: as if absent
    with pytest.raises(PermissionError):
        services.delete_document(in_b, caller=READER)
    with pytest.raises(PermissionError):
        services.ingest_paths([DOCS / "bakery_es.html"], "b", caller=ONLY_A)
    with pytest.raises(PermissionError, match="admins only"):
        services.promote_model("anything", caller=ONLY_A)
    assert services.get_document(in_b, caller=READER) is not None  # nothing was deleted
    assert len(services.list_documents()) == 2
