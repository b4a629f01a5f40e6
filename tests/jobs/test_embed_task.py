"""The embed task gathers documents waiting for the encoder: one encoder pass over all of them,
yet every job ends on its own (cancelled, failed or indexed)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from counting_gate import CountingGate, recorded_batch_budgets
from qdrant_client.http.exceptions import ResponseHandlingException

import mexma_search.jobs.embed
from mexma_search.app.access import OPERATOR
from mexma_search.app.encoder_gate import BACKGROUND_BATCH_TOKENS
from mexma_search.app.formatting import counted
from mexma_search.app.queues import QUEUE_EMBED, QUEUE_INGEST
from mexma_search.app.services import Services
from mexma_search.app.settings import Settings
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.index import LIVE_ALIAS, VectorIndex
from mexma_search.jobs.backends import open_services
from mexma_search.jobs.inprocess import InProcessWorker
from mexma_search.store import get_jobs, read_scope

pytestmark = pytest.mark.filterwarnings("ignore:Failed to obtain server version:UserWarning")

TIMEOUT = 60
DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
FILES = ["river_en.txt", "train_de.txt", "river_fr.md", "train_zh.txt", "bakery_es.html"]


class EmbedCalls:
    """Records the number of chunks of every ``embed_chunks`` call (and still makes it)."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.before_call: Callable[[], None] = lambda: None
        self._original = mexma_search.jobs.embed.embed_chunks

    def __call__(self, model: Any, chunks: Sequence[Any], *args: Any, **kwargs: Any) -> Any:
        self.sizes.append(len(chunks))
        self.before_call()
        return self._original(model, chunks, *args, **kwargs)


@pytest.fixture
def embed_calls() -> Iterator[EmbedCalls]:
    calls = EmbedCalls()
    with mock.patch.object(mexma_search.jobs.embed, "embed_chunks", calls):
        yield calls


def _parsed_and_waiting(services: Services, files: Sequence[str | Path] = FILES) -> list[int]:
    """Ingest ``files`` (fixture names or paths) with a worker for the ingest queue only:
    every job ends up queued for embedding, its embed message waiting in the in-process
    broker."""
    with InProcessWorker(services, queues=(QUEUE_INGEST,)):
        job_ids = services.ingest_paths([DOCS / name for name in files], caller=OPERATOR)
        deadline = time.monotonic() + TIMEOUT
        while not all(
            job.stage == "embedding" and job.status == "queued"
            for job in map(services.get_job, job_ids)
        ):
            assert time.monotonic() < deadline, "the documents were not parsed in time"
            time.sleep(0.05)
    return job_ids


def _embed(services: Services, job_ids: list[int]) -> dict[int, Any]:
    with InProcessWorker(services, queues=(QUEUE_EMBED,)):
        jobs = services.wait_for_jobs(job_ids, TIMEOUT)
    return {job.id: job for job in jobs}


def _points(services: Services) -> int:
    return services.runtime.index.count(LIVE_ALIAS)


def _documents(services: Services) -> dict[str, Any]:
    return {Path(d.filename).name: d for d in services.list_documents(limit=100, caller=OPERATOR)}


def test_waiting_documents_are_encoded_together_and_each_job_ends_on_its_own(
    services: Services, embed_calls: EmbedCalls
) -> None:
    job_ids = _parsed_and_waiting(services)
    jobs = _embed(services, job_ids)
    documents = _documents(services)
    total = sum(d.n_chunks for d in documents.values())
    assert embed_calls.sizes == [total]  # one gathered call, the other messages did nothing
    assert {job.status for job in jobs.values()} == {"succeeded"}
    for job in jobs.values():
        document = next(d for d in documents.values() if d.id == job.metrics["document_id"])
        assert document.status == "indexed"
        assert job.metrics["chunks"] == job.done == document.n_chunks > 0
        assert job.message == f"indexed {counted(document.n_chunks, 'passage')}"
    assert _points(services) == total


def test_embedding_batches_are_background_turns_at_the_encoder(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = CountingGate()
    monkeypatch.setattr(services.runtime, "encoder_gate", gate)
    budgets = recorded_batch_budgets(monkeypatch)
    jobs = _embed(services, _parsed_and_waiting(services))
    assert {job.status for job in jobs.values()} == {"succeeded"}
    # passages and sentences: at least one batch each, all small on this CPU
    assert gate.background_turns >= 2 and set(budgets) == {BACKGROUND_BATCH_TOKENS}


def test_the_gathered_batch_is_bounded(
    make_settings: Callable[..., Settings], embed_calls: EmbedCalls
) -> None:
    services = open_services(make_settings(embed_gather_chunks=3))
    try:
        job_ids = _parsed_and_waiting(services)
        jobs = _embed(services, job_ids)
        total = sum(d.n_chunks for d in _documents(services).values())
        assert {job.status for job in jobs.values()} == {"succeeded"}
        assert max(embed_calls.sizes) <= 3 and sum(embed_calls.sizes) == total
        assert _points(services) == total
        assert max(d.n_chunks for d in _documents(services).values()) > 3
        # one task went on from batch to batch, larger documents included
        with read_scope(services.runtime.engine) as session:
            jobs_by_id = get_jobs(session, job_ids)
        assert len({job.celery_task_id for job in jobs_by_id.values()}) == 1
    finally:
        services.runtime.close()


def test_a_large_document_does_not_starve_the_small_ones_waiting(
    make_settings: Callable[..., Settings], embed_calls: EmbedCalls, tmp_path: Path
) -> None:
    huge = tmp_path / "huge_en.txt"
    huge.write_text("\n\n".join([(DOCS / "river_en.txt").read_text(encoding="utf-8")] * 3))
    small = [tmp_path / f"small_{i}.txt" for i in range(4)]
    for i, path in enumerate(small):
        path.write_text(f"The bakery opens at {i + 6} o'clock.")
    services = open_services(make_settings(embed_gather_chunks=3))
    try:
        job_ids = _parsed_and_waiting(services, [huge, *small])
        documents = _documents(services)
        assert documents[huge.name].n_chunks > 3 * 3
        assert all(documents[path.name].n_chunks == 1 for path in small)
        jobs = _embed(services, job_ids)
        assert {job.status for job in jobs.values()} == {"succeeded"}
        huge_job, *small_jobs = (jobs[job_id] for job_id in job_ids)
        # the huge document was claimed first, yet every small one ended before it
        assert all(job.finished_at < huge_job.finished_at for job in small_jobs)
        assert max(embed_calls.sizes) <= 3
        documents = _documents(services)
        assert {d.status for d in documents.values()} == {"indexed"}
        assert _points(services) == sum(d.n_chunks for d in documents.values())
        assert huge_job.done == huge_job.metrics["chunks"] == documents[huge.name].n_chunks
    finally:
        services.runtime.close()


def test_an_internal_error_after_a_batch_spares_the_documents_it_indexed(
    make_settings: Callable[..., Settings],
) -> None:
    services = open_services(make_settings(embed_gather_chunks=3))
    loads = 0
    chunks_of_documents = mexma_search.jobs.embed.chunks_of_documents

    def fail_the_second_load(*args: Any) -> Any:
        nonlocal loads
        loads += 1
        if loads == 2:
            raise RuntimeError("lost the chunks")
        return chunks_of_documents(*args)

    try:
        job_ids = _parsed_and_waiting(services)
        with mock.patch.object(
            mexma_search.jobs.embed, "chunks_of_documents", fail_the_second_load
        ):
            jobs = _embed(services, job_ids)
        assert loads > 2  # the jobs the failed task held were sent again and embedded
        assert {job.status for job in jobs.values()} == {"succeeded"}
        documents = _documents(services).values()
        assert {d.status for d in documents} == {"indexed"}
        assert _points(services) == sum(d.n_chunks for d in documents)
    finally:
        services.runtime.close()


def test_a_document_the_encoder_fails_on_fails_alone(
    services: Services, embed_calls: EmbedCalls
) -> None:
    original = SentenceEncoder.encode

    def encode(encoder: SentenceEncoder, texts: Sequence[str], **kwargs: Any) -> Any:
        if any("Zug" in text for text in texts):
            raise ValueError("the encoder cannot take this text")
        return original(encoder, texts, **kwargs)

    job_ids = _parsed_and_waiting(services)
    with mock.patch.object(SentenceEncoder, "encode", encode):
        jobs = _embed(services, job_ids)
    documents = _documents(services)
    failed = documents.pop("train_de.txt")
    assert failed.status == "failed" and failed.n_chunks == 0
    assert "the encoder cannot take this text" in (failed.error or "")
    by_document = {job.metrics.get("document_id"): job for job in jobs.values()}
    assert {by_document[d.id].status for d in documents.values()} == {"succeeded"}
    assert {d.status for d in documents.values()} == {"indexed"}
    # the gathered call failed, then each document was embedded alone
    assert len(embed_calls.sizes) == 1 + len(FILES)
    assert embed_calls.sizes[0] == sum(embed_calls.sizes[1:])
    assert _points(services) == sum(d.n_chunks for d in documents.values())


@pytest.mark.parametrize("noticed", ["after the call", "during the call"])
def test_a_job_cancelled_inside_the_batch_is_cancelled_and_the_others_indexed(
    services: Services, embed_calls: EmbedCalls, monkeypatch: pytest.MonkeyPatch, noticed: str
) -> None:
    if noticed == "during the call":  # the encoder's progress callback looks at every batch
        monkeypatch.setattr(mexma_search.jobs.embed, "CANCEL_CHECK_S", 0.0)
    job_ids = _parsed_and_waiting(services)
    victim = job_ids[2]
    victim_chunks = _documents(services)["river_fr.md"].n_chunks
    embed_calls.before_call = lambda: services.cancel_job(victim) and None
    jobs = _embed(services, job_ids)
    assert jobs.pop(victim).status == "cancelled"
    assert {job.status for job in jobs.values()} == {"succeeded"}
    documents = _documents(services)
    cancelled = documents.pop("river_fr.md")
    assert cancelled.status == "failed" and cancelled.error == "cancelled"
    total = sum(d.n_chunks for d in documents.values())
    assert _points(services) == total
    if noticed == "during the call":  # stopped, then encoded again without the victim
        assert embed_calls.sizes == [total + victim_chunks, total]
    else:
        assert embed_calls.sizes == [total + victim_chunks]


def test_after_a_transient_index_error_every_claimed_job_is_retried(
    services: Services,
) -> None:
    job_ids = _parsed_and_waiting(services)
    original = VectorIndex.upsert
    failures = threading.Semaphore(1)

    def upsert(index: VectorIndex, *args: Any, **kwargs: Any) -> Any:
        if failures.acquire(blocking=False):
            raise ResponseHandlingException(ConnectionError("qdrant is restarting"))
        return original(index, *args, **kwargs)

    with mock.patch.object(VectorIndex, "upsert", upsert):
        jobs = _embed(services, job_ids)
    assert {job.status for job in jobs.values()} == {"succeeded"}
    assert _points(services) == sum(d.n_chunks for d in _documents(services).values())


def test_stopping_the_worker_mid_batch_requeues_every_claimed_job(
    services: Services, embed_calls: EmbedCalls
) -> None:
    job_ids = _parsed_and_waiting(services)
    encoding = threading.Event()

    def hold_until_stopping() -> None:
        encoding.set()
        services.runtime.stopping.wait(TIMEOUT)

    embed_calls.before_call = hold_until_stopping
    worker = InProcessWorker(services, queues=(QUEUE_EMBED,))
    worker.start()
    assert encoding.wait(TIMEOUT)
    worker.stop()
    assert {job.status for job in map(services.get_job, job_ids)} == {"queued"}
    assert _points(services) == 0
    embed_calls.before_call = lambda: None
    with InProcessWorker(services):  # the next start resumes them
        jobs = services.wait_for_jobs(job_ids, TIMEOUT)
    assert {job.status for job in jobs} == {"succeeded"}
    assert _points(services) == sum(d.n_chunks for d in _documents(services).values())


def test_a_job_cancelled_in_a_later_batch_does_not_stop_the_current_one(
    make_settings: Callable[..., Settings],
    embed_calls: EmbedCalls,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(mexma_search.jobs.embed, "CANCEL_CHECK_S", 0.0)
    services = open_services(make_settings(embed_gather_chunks=9))
    try:
        job_ids = _parsed_and_waiting(services, FILES[:2])
        first_chunks = _documents(services)[FILES[0]].n_chunks
        assert first_chunks == 9, "the first document must fill the first batch exactly"
        embed_calls.before_call = lambda: services.cancel_job(job_ids[1]) and None
        jobs = _embed(services, job_ids)
        assert jobs[job_ids[0]].status == "succeeded"
        assert jobs[job_ids[1]].status == "cancelled"
        assert _points(services) == first_chunks
    finally:
        services.runtime.close()
