"""``doctor``: drift between the database and the index is found, and repaired."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sqlalchemy import delete, update

from mexma_search.app.access import OPERATOR
from mexma_search.app.services import Services
from mexma_search.app.serving_model import serving_model
from mexma_search.index import LIVE_ALIAS, ChunkPoint
from mexma_search.index.points import model_version_of, point_id
from mexma_search.jobs.inprocess import InProcessWorker
from mexma_search.store import Chunk, Document, DocumentStatus, session_scope

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
TIMEOUT = 60


def _indexed(services: Services) -> list[int]:
    return sorted(d.id for d in services.list_documents(caller=OPERATOR) if d.status == "indexed")


def test_doctor_finds_each_kind_of_drift_and_repairs_it(
    services: Services, worker: InProcessWorker
) -> None:
    files = [
        DOCS / name for name in ("river_en.txt", "river_fr.md", "train_de.txt", "bakery.jsonl")
    ]
    services.wait_for_jobs(services.ingest_paths(files, caller=OPERATOR), TIMEOUT)
    healthy = services.doctor()
    assert healthy.healthy and healthy.chunks == healthy.points > 0
    lost_points, lost_chunk, stuck, *_ = _indexed(services)
    index, collection = services.runtime.index, healthy.collection
    assert collection is not None
    worker.stop()  # nothing may repair behind the doctor's back

    index.delete_document(lost_points)  # a document's points lost (an old index backup)
    dimension = serving_model(services.runtime).encoder.dimension
    stray = ChunkPoint(10**6, 9999, 0, "default", "en", np.ones(dimension))
    index.upsert(collection, [stray])  # points of a document the database does not have
    with session_scope(services.runtime.engine) as session:
        victim = session.query(Chunk).filter(Chunk.document_id == lost_chunk).first()
        assert victim is not None
        session.execute(delete(Chunk).where(Chunk.id == victim.id))  # a point without its row
        session.execute(
            update(Document).where(Document.id == stuck).values(status=DocumentStatus.PROCESSING)
        )

    found = services.doctor()
    assert not found.healthy
    drift = {d.document_id: d for d in found.drifted}
    assert set(drift) == {lost_points, lost_chunk}
    assert drift[lost_points].missing == drift[lost_points].chunks > 0
    assert (drift[lost_chunk].extra, drift[lost_chunk].missing) == (1, 0)
    assert found.orphan_documents == [9999]
    assert found.stuck_documents == [stuck]

    repaired = services.doctor(repair=True)
    assert len(repaired.queued_jobs) == 3 and repaired.repairs
    worker.start()
    jobs = services.wait_for_jobs(repaired.queued_jobs, TIMEOUT)
    assert all(job.status == "succeeded" for job in jobs), [job.error for job in jobs]
    after = services.doctor()
    assert after.healthy, after
    assert after.points == after.chunks == services.runtime.index.count(LIVE_ALIAS)


def test_points_without_keyword_vectors_are_found_and_given_one(
    services: Services, worker: InProcessWorker
) -> None:
    services.wait_for_jobs(services.ingest_paths([DOCS / "river_en.txt"], caller=OPERATOR), TIMEOUT)
    index, report = services.runtime.index, services.doctor()
    assert report.healthy and report.collection is not None
    (document_id,) = _indexed(services)
    collection = report.collection
    stored = index.chunk_ids_by_document(collection)[document_id]
    points = index.points(collection, _point_ids(services, collection, document_id))
    index.upsert(collection, points)  # stored again without text, as a release before hybrid did

    found = services.doctor()
    assert not found.healthy and found.keywordless_points == len(stored)
    assert not found.drifted  # the points are all there

    repaired = services.doctor(repair=True)
    assert f"{len(stored)} points given a keyword vector" in repaired.repairs
    assert not repaired.queued_jobs
    after = services.doctor()
    assert after.healthy and after.keywordless_points == 0
    assert index.chunk_ids_by_document(collection) == {document_id: stored}


def _point_ids(services: Services, collection: str, document_id: int) -> list[str]:
    version = model_version_of(collection)
    with session_scope(services.runtime.engine) as session:
        ordinals = session.query(Chunk.ordinal).filter(Chunk.document_id == document_id).all()
    return [point_id(document_id, ordinal, version) for (ordinal,) in ordinals]
