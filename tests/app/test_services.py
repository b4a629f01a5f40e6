"""The services end to end with the tiny model and an embedded worker thread (meaning does not
matter here; the cross-lingual tests with the real model are in test_cross_lingual.py)."""

from __future__ import annotations

import shutil
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from sqlalchemy import update
from threadpoolctl import threadpool_info

import mexma_search.app.library_services
import mexma_search.jobs.ingest
from mexma_search.app.access import OPERATOR
from mexma_search.app.search import GROUP_DEPTH, sentence_matches
from mexma_search.app.services import Services
from mexma_search.app.serving_model import serving_model
from mexma_search.app.settings import Settings
from mexma_search.app.views import JobInfo, SearchResult
from mexma_search.index import LIVE_ALIAS
from mexma_search.jobs.backends import open_services
from mexma_search.jobs.inprocess import BLAS_THREADS, SWITCH_INTERVAL_S, InProcessWorker
from mexma_search.store import (
    Job,
    JobStatus,
    chunks_by_ids,
    delete_document,
    get_job,
    session_scope,
)

pytestmark = pytest.mark.filterwarnings("ignore:Failed to obtain server version:UserWarning")

TIMEOUT = 60
DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
MakeSettings = Callable[..., Settings]


def _points(services: Services) -> int:
    return services.runtime.index.count(LIVE_ALIAS)


def _chunks(services: Services) -> int:
    return sum(d.n_chunks for d in services.list_documents(limit=1000, caller=OPERATOR))


def _by_file(jobs: list[JobInfo]) -> dict[str, JobInfo]:
    return {Path(job.parameters["filename"]).name: job for job in jobs}


def test_a_directory_is_indexed_file_by_file_and_a_broken_file_fails_alone(
    make_settings: MakeSettings, database_url: str
) -> None:
    services = open_services(make_settings(database_url=database_url))
    try:
        with InProcessWorker(services):
            job_ids = services.ingest_paths([DOCS], "fixtures", caller=OPERATOR)
            jobs = _by_file(services.wait_for_jobs(job_ids, TIMEOUT))
        assert len(jobs) == len(list(DOCS.iterdir()))
        broken = jobs.pop("broken.pdf")
        assert broken.status == "failed"
        assert "broken.pdf" in (broken.error or "") and "PDF" in (broken.error or "")
        assert {job.status for job in jobs.values()} == {"succeeded"}
        documents = {Path(d.filename).name: d for d in services.list_documents(caller=OPERATOR)}
        assert documents["broken.pdf"].status == "failed"
        assert documents["broken.pdf"].error == broken.error
        assert documents["broken.pdf"].n_chunks == 0
        assert all(d.status == "indexed" for name, d in documents.items() if name != "broken.pdf")
        assert _points(services) == _chunks(services) > len(jobs)
        assert {"en", "fr", "de", "es", "ja", "zh", "ru"} <= set(services.languages_in_index())
        assert services.collections(caller=OPERATOR) == ["fixtures"]
    finally:
        services.runtime.close()


def _blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_the_worker_threads_leave_the_cores_to_the_encoder_while_they_run(
    services: Services,
) -> None:
    switch_interval, blas_threads = sys.getswitchinterval(), _blas_threads()
    assert blas_threads, "numpy should bring a BLAS library"
    with InProcessWorker(services):
        assert {thread.name for thread in threading.enumerate()} >= {
            "mexma-worker-ingest",
            "mexma-worker-embed",
            "mexma-worker-train",
        }
        assert sys.getswitchinterval() == min(switch_interval, SWITCH_INTERVAL_S)
        assert _blas_threads() == [BLAS_THREADS] * len(blas_threads)
    assert sys.getswitchinterval() == switch_interval
    assert _blas_threads() == blas_threads


def test_a_duplicate_is_reported_and_not_indexed_twice(
    services: Services, worker: InProcessWorker
) -> None:
    first = services.wait_for_job(
        services.ingest_paths([DOCS / "river_en.txt"], caller=OPERATOR)[0], TIMEOUT
    )
    points = _points(services)
    second = services.get_job(services.ingest_paths([DOCS / "river_en.txt"], caller=OPERATOR)[0])
    assert second is not None and second.status == "succeeded"
    original = first.metrics["document_id"]
    assert f"duplicate of document {original} (river_en.txt)" in (second.message or "")
    # the upload's job reports it; the library keeps no row and no file for it
    assert second.metrics == {"duplicate_of": original}
    assert [d.id for d in services.list_documents(caller=OPERATOR)] == [original]
    assert len(list(services.settings.uploads_dir.iterdir())) == 1
    assert _points(services) == points
    # the same file in another collection is a new document
    other = services.wait_for_job(
        services.ingest_paths([DOCS / "river_en.txt"], "other", caller=OPERATOR)[0]
    )
    assert other.metrics["chunks"] > 0
    assert _points(services) == 2 * points


def test_an_upload_is_stored_whole_then_recorded_and_queued_a_batch_at_a_time(
    services: Services, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    names = ["river_en.txt", "train_de.txt", "river_fr.md", "train_zh.txt", "bakery_es.html"]
    for i, name in enumerate(names):
        shutil.copy(DOCS / name, corpus / f"{i}-{name}")
    shutil.copy(DOCS / "river_en.txt", corpus / "5-copy.txt")
    events: list[str] = []
    store_upload = mexma_search.app.library_services.store_upload
    record_upload = mexma_search.app.library_services.record_upload

    def storing(*args: Any) -> Any:
        uploads = store_upload(*args)
        events.extend("stored" for _ in uploads)
        return uploads

    def recording(*args: Any) -> Any:
        events.append("recorded")
        return record_upload(*args)

    with (
        mock.patch.object(mexma_search.app.library_services, "UPLOAD_BATCH", 2),
        mock.patch.object(mexma_search.app.library_services, "store_upload", storing),
        mock.patch.object(mexma_search.app.library_services, "record_upload", recording),
        mock.patch.object(services.queue, "enqueue", lambda job_id, step: events.append("queued")),
    ):
        job_ids = services.ingest_paths([corpus], caller=OPERATOR)
    batch = ["recorded", "recorded", "queued", "queued"]
    # the copy of river_en.txt is a duplicate: recorded, not queued
    assert events == ["stored"] * 6 + batch + batch + ["recorded", "recorded", "queued"]
    jobs = [services.get_job(job_id) for job_id in job_ids]
    filenames = [job.parameters["filename"] for job in jobs if job is not None]
    assert filenames == [f"corpus/{i}-{name}" for i, name in enumerate(names)] + [
        "corpus/5-copy.txt"
    ]
    # the copy, recorded in a later commit than its original, is still found a duplicate
    copy = jobs[-1]
    assert copy is not None and "duplicate of document" in (copy.message or "")


def test_delete_removes_rows_vectors_and_the_stored_file(
    services: Services, worker: InProcessWorker
) -> None:
    job_ids = services.ingest_paths([DOCS / "river_en.txt", DOCS / "train_de.txt"], caller=OPERATOR)
    jobs = services.wait_for_jobs(job_ids, TIMEOUT)
    kept, deleted = (job.metrics["document_id"] for job in jobs)
    stored = next(Path(p) for p in (services.settings.uploads_dir or Path()).iterdir())
    assert len(list(stored.parent.iterdir())) == 2
    before = _points(services)
    assert services.delete_document(deleted, caller=OPERATOR)
    assert not services.delete_document(deleted, caller=OPERATOR)
    assert [d.id for d in services.list_documents(caller=OPERATOR)] == [kept]
    assert _points(services) == before - jobs[1].metrics["chunks"]
    assert all(r.document_id == kept for r in services.search("Zug", k=20, caller=OPERATOR))
    assert len(list(stored.parent.iterdir())) == 1


def test_a_rerun_of_an_ingest_job_adds_no_points(services: Services) -> None:
    with InProcessWorker(services):
        job = services.wait_for_job(
            services.ingest_paths([DOCS / "river_fr.md"], caller=OPERATOR)[0], TIMEOUT
        )
    points = _points(services)
    # the worker died after embedding, before the job row said so: the job is resumed
    with session_scope(services.runtime.engine) as session:
        session.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(status=JobStatus.RUNNING, finished_at=None, stage="parsing")
        )
    with InProcessWorker(services) as worker:
        assert worker.running
        rerun = services.wait_for_job(job.id, TIMEOUT)
    assert rerun.status == "succeeded"
    assert _points(services) == points == rerun.metrics["chunks"]
    # every point names a chunk row of the re-run
    assert len(services.search("rivière", k=50, group=False, caller=OPERATOR)) == points


def test_a_job_left_running_by_a_dead_process_is_resumed(make_settings: MakeSettings) -> None:
    settings = make_settings()
    first = open_services(settings)
    job_ids = first.ingest_paths([DOCS / "train_de.txt", DOCS / "bakery.jsonl"], caller=OPERATOR)
    with session_scope(first.runtime.engine) as session:
        session.execute(update(Job).where(Job.id == job_ids[0]).values(status=JobStatus.RUNNING))
    first.runtime.close()  # the process "dies" with its in-memory messages

    second = open_services(settings)
    try:
        with InProcessWorker(second) as worker:
            jobs = second.wait_for_jobs(job_ids, TIMEOUT)
        assert worker.running is False
        assert [job.status for job in jobs] == ["succeeded", "succeeded"]
        assert _points(second) == _chunks(second)
    finally:
        second.runtime.close()


def test_jobs_queued_by_another_process_are_picked_up(make_settings: MakeSettings) -> None:
    settings = make_settings()
    app_process = open_services(settings)
    cli_process = open_services(settings)
    try:
        with InProcessWorker(app_process):
            job_id = cli_process.ingest_paths([DOCS / "train_zh.txt"], caller=OPERATOR)[0]
            assert app_process.wait_for_job(job_id, TIMEOUT).status == "succeeded"
    finally:
        app_process.runtime.close()
        cli_process.runtime.close()


def test_cancelling_a_queued_job_stops_it_before_it_starts(services: Services) -> None:
    job_id = services.ingest_paths([DOCS / "river_en.txt"], caller=OPERATOR)[0]
    assert services.cancel_job(job_id)
    with InProcessWorker(services):
        job = services.wait_for_job(job_id, TIMEOUT)
    assert job.status == "cancelled"
    assert services.list_documents(caller=OPERATOR)[0].status == "failed"
    assert not services.cancel_job(job_id)


def test_a_document_deleted_before_it_is_parsed_fails_its_job_with_the_reason(
    services: Services,
) -> None:
    job_id = services.ingest_paths([DOCS / "river_en.txt"], caller=OPERATOR)[0]
    with session_scope(services.runtime.engine) as session:
        job = get_job(session, job_id)
        assert job is not None
        document_id = job.parameters["document_id"]
        assert delete_document(session, document_id) is not None
    with InProcessWorker(services):
        ended = services.wait_for_job(job_id, TIMEOUT)
    assert ended.status == "failed"
    assert ended.error == f"document {document_id} no longer exists"


def test_a_job_cancelled_while_its_document_is_chunked_ends_cancelled(
    services: Services,
) -> None:
    job_ids: list[int] = []
    uploaded = threading.Event()
    chunk_document = mexma_search.jobs.ingest.chunk_document

    def cancel_then_chunk(*args: Any, **kwargs: Any) -> Any:
        assert uploaded.wait(TIMEOUT)
        assert services.cancel_job(job_ids[0])
        return chunk_document(*args, **kwargs)

    with (
        mock.patch.object(mexma_search.jobs.ingest, "chunk_document", cancel_then_chunk),
        InProcessWorker(services),
    ):
        job_ids.extend(services.ingest_paths([DOCS / "river_en.txt"], caller=OPERATOR))
        uploaded.set()
        job = services.wait_for_job(job_ids[0], TIMEOUT)  # not left queued for embedding
    assert job.status == "cancelled"
    document = services.list_documents(caller=OPERATOR)[0]
    assert document.status == "failed" and document.error == "cancelled"
    assert document.n_chunks == 0


def test_cancelling_a_running_job_stops_between_batches(
    make_settings: MakeSettings, tmp_path: Path
) -> None:
    long_text = tmp_path / "long.txt"
    long_text.write_text(
        "\n\n".join(f"The river number {i} flows under seven bridges." for i in range(400))
    )
    services = open_services(
        make_settings(encode_batch_size=1, chunk_max_tokens=16, embed_gather_chunks=20)
    )
    try:
        with InProcessWorker(services):
            job_id = services.ingest_paths([long_text], caller=OPERATOR)[0]
            deadline = time.monotonic() + TIMEOUT
            while (job := services.get_job(job_id)) and not (
                job.stage == "embedding" and job.done > 0
            ):
                assert time.monotonic() < deadline
                time.sleep(0.02)
            assert services.cancel_job(job_id)
            job = services.wait_for_job(job_id, TIMEOUT)
        assert job.status == "cancelled"
        assert job.done < job.total
        document = services.list_documents(caller=OPERATOR)[0]
        assert document.status == "failed" and document.error == "cancelled"
        assert document.n_chunks == 0
        assert _points(services) == 0
    finally:
        services.runtime.close()


def test_uploads_are_stored_under_our_own_names_within_the_size_limit(
    make_settings: MakeSettings, tmp_path: Path
) -> None:
    hostile = tmp_path / "in" / "\x07évil <name>.txt"
    hostile.parent.mkdir()
    shutil.copy(DOCS / "river_en.txt", hostile)
    (tmp_path / "in" / "notes.exe").write_bytes(b"MZ")
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (1 << 20) + b"b")
    services = open_services(make_settings(max_upload_mb=1))
    try:
        job_ids = services.ingest_paths([hostile.parent, big], caller=OPERATOR)
        jobs = _by_file([services.get_job(i) for i in job_ids])
    finally:
        services.runtime.close()
    assert jobs["big.txt"].status == "failed" and "limit is 1 MB" in (jobs["big.txt"].error or "")
    assert jobs["notes.exe"].status == "failed" and ".exe" in (jobs["notes.exe"].error or "")
    stored = list((services.settings.uploads_dir or Path()).iterdir())
    assert len(stored) == 1
    assert stored[0].suffix == ".txt" and "vil" not in stored[0].name
    assert jobs["évil <name>.txt"].status == "queued"


def test_search_filters_and_highlights_a_sentence_inside_the_passage(
    services: Services, worker: InProcessWorker
) -> None:
    job_ids = services.ingest_paths([DOCS / "river.tmx", DOCS / "train_de.txt"], caller=OPERATOR)
    services.wait_for_jobs(job_ids, TIMEOUT)
    results = services.search("river bridges", k=50, mode="dense", group=False, caller=OPERATOR)
    assert results == sorted(results, key=lambda r: -r.score)
    assert {r.lang for r in results} >= {"en", "fr", "de"}
    for result in results:
        assert result.text[result.sentence_start : result.sentence_end] == result.sentence
        assert result.sentence.strip()
        assert result.model_version == "tiny-mean0"
    assert {
        r.lang for r in services.search("river", k=50, lang="fr", group=False, caller=OPERATOR)
    } == {"fr"}
    german = services.search(
        "Zug", k=50, collection="default", lang=["de"], group=False, caller=OPERATOR
    )
    assert german and {Path(r.document).name for r in german} <= {"train_de.txt", "river.tmx"}
    only = results[0].document_id
    assert {
        r.document_id for r in services.search("x", k=50, document_id=only, caller=OPERATOR)
    } == {only}
    assert (
        len(services.search("x", k=50, document_id=only, caller=OPERATOR)) == 1
    )  # one card per document
    with pytest.raises(ValueError, match="empty"):
        services.search("  ", caller=OPERATOR)


def test_search_gives_one_card_per_document_with_its_next_best_passages(
    services: Services, worker: InProcessWorker
) -> None:
    services.wait_for_jobs(services.ingest_paths([DOCS], caller=OPERATOR), TIMEOUT)
    # a grouped search reads GROUP_DEPTH passages per document wanted
    passages = services.search(
        "river bridges", k=5 * GROUP_DEPTH, group=False, mode="dense", caller=OPERATOR
    )
    cards = services.search("river bridges", k=5, mode="dense", caller=OPERATOR)
    documents = [card.document_id for card in cards]
    assert len(documents) == len(set(documents)) == 5
    # the cards follow the passage ranking: each document where its best passage ranks
    first_rank = {}
    for rank, passage in enumerate(passages):
        first_rank.setdefault(passage.document_id, rank)
    assert documents == sorted(first_rank, key=first_rank.__getitem__)[:5]
    closeness = _best_sentence_closeness(services, "river bridges", passages)
    for card in cards:
        assert len(card.passages) <= 2
        assert {p.document_id for p in card.passages} <= {card.document_id}
        same_document = [p.chunk_id for p in passages if p.document_id == card.document_id][:3]
        # led by the passage holding the closest sentence, the others in ranking order
        lead = max(same_document, key=closeness.__getitem__)
        assert card.chunk_id == lead
        assert [p.chunk_id for p in card.passages] == [c for c in same_document if c != lead]
    assert any(card.passages for card in cards)
    assert any(card.chunk_id != _first_of(passages, card.document_id) for card in cards)
    assert list(cards[0].to_dict()["passages"]) == [p.to_dict() for p in cards[0].passages]


def _best_sentence_closeness(
    services: Services, query: str, results: list[SearchResult]
) -> dict[int, float]:
    """Chunk id -> the cosine of ``query`` and the chunk's closest sentence (its passage's
    score for a passage of one sentence)."""
    model = serving_model(services.runtime)
    query_vector = model.encoder.encode([query], prompt="query").vectors[0]
    with session_scope(services.runtime.engine) as session:
        chunks = chunks_by_ids(session, [r.chunk_id for r in results])
    ordered = [chunks[r.chunk_id] for r in results]
    matches = sentence_matches(model.encoder, query_vector, ordered, [None] * len(ordered))
    return {
        r.chunk_id: r.score if closeness is None else closeness
        for r, (_, closeness) in zip(results, matches, strict=True)
    }


def _first_of(results: list[SearchResult], document_id: int) -> int:
    return next(r.chunk_id for r in results if r.document_id == document_id)


def test_hybrid_search_puts_the_passage_with_an_exact_code_first(
    services: Services, worker: InProcessWorker, tmp_path: Path
) -> None:
    codes = tmp_path / "codes.txt"
    codes.write_text(
        "Every plant is certified.\n\nThe audit follows ISO 9001 clause 7.\n\n"
        "Permits follow chapter nine.\n",
        encoding="utf-8",
    )
    services.wait_for_jobs(services.ingest_paths([DOCS, codes], caller=OPERATOR), TIMEOUT)
    hybrid = services.search("ISO 9001", k=5, caller=OPERATOR)
    assert "ISO 9001" in hybrid[0].text
    dense = services.search("ISO 9001", k=50, mode="dense", caller=OPERATOR)
    assert {r.chunk_id for r in hybrid} <= {r.chunk_id for r in dense} | {hybrid[0].chunk_id}


def test_stored_sentence_vectors_pick_the_same_sentence_as_encoding_them(
    services: Services, worker: InProcessWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.wait_for_jobs(services.ingest_paths([DOCS], caller=OPERATOR), TIMEOUT)
    model = serving_model(services.runtime)
    calls: list[int] = []
    encode = model.encoder.encode

    def counting_encode(texts: Any, **kwargs: Any) -> Any:
        calls.append(len(texts))
        return encode(texts, **kwargs)

    monkeypatch.setattr(model.encoder, "encode", counting_encode)
    results = services.search("river bridges", k=20, group=False, caller=OPERATOR)
    assert calls == [1]  # the query only: sentence vectors come from the index
    with session_scope(services.runtime.engine) as session:
        chunks = chunks_by_ids(session, [r.chunk_id for r in results])
    several = [r for r in results if len(chunks[r.chunk_id].sentence_spans()) > 1]
    assert several, "the fixtures must give passages of several sentences"
    query_vector = encode(["river bridges"], prompt="query").vectors[0]
    ordered = [chunks[r.chunk_id] for r in several]
    encoded = sentence_matches(model.encoder, query_vector, ordered, [None] * len(ordered))
    assert [(r.sentence_start, r.sentence_end) for r in several] == [span for span, _ in encoded]


def test_promotion_reindexes_and_swaps_while_search_keeps_answering(
    services: Services, worker: InProcessWorker, tiny_cls_model_dir: Path
) -> None:
    services.wait_for_jobs(services.ingest_paths([DOCS], caller=OPERATOR), TIMEOUT)
    chunks = _chunks(services)
    old_collection = services.runtime.index.alias_target()
    job_id = services.promote_model(str(tiny_cls_model_dir))
    with pytest.raises(RuntimeError, match="being promoted"):
        services.promote_model(str(tiny_cls_model_dir))
    seen: set[str] = set()
    failures: list[BaseException] = []

    def keep_searching() -> None:
        try:
            while not services.get_job(job_id).finished:  # type: ignore[union-attr]
                results = services.search("river", k=3, highlight=False, caller=OPERATOR)
                assert len(results) == 3
                seen.add(results[0].model_version)
        except BaseException as exc:
            failures.append(exc)

    searcher = threading.Thread(target=keep_searching)
    searcher.start()
    job = services.wait_for_job(job_id, TIMEOUT)
    searcher.join()
    assert not failures
    assert job.status == "succeeded", job.error
    assert job.metrics["chunks"] == chunks == job.done
    assert seen <= {"tiny-mean0", "tiny-cls0"} and "tiny-mean0" in seen
    versions = {v.name: v for v in services.list_model_versions()}
    assert versions["tiny-cls0"].live and versions["tiny-cls0"].status == "active"
    assert versions["tiny-mean0"].status == "retired" and not versions["tiny-mean0"].live
    assert services.runtime.index.alias_target() == "chunks__tiny-cls0"
    assert _points(services) == chunks
    assert services.runtime.index.count(old_collection or "") == chunks  # kept for rollback
    assert services.search("river", k=1, caller=OPERATOR)[0].model_version == "tiny-cls0"
