"""Mining and alignment as background jobs: the embedded worker runs them on stored documents,
reports encoding progress, stores the pairs, and only admins may start them or read them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from counting_gate import CountingGate, recorded_batch_budgets
from tm_library import (
    ENGLISH_ONLY,
    PLANTED,
    TIMEOUT,
    LexiconEncoder,
    ingest,
    mining_library,
    write_side,
)

from mexma_search.app.access import Caller, Role
from mexma_search.app.encoder_gate import BACKGROUND_BATCH_TOKENS
from mexma_search.app.runtime import Runtime
from mexma_search.app.services import Services
from mexma_search.app.serving_model import register_model_version, serving_model
from mexma_search.app.tm_jobs import AlignmentSide, MiningSide, results_path
from mexma_search.encoder.bitext import read_bitext
from mexma_search.jobs import tm as tm_task
from mexma_search.jobs.inprocess import InProcessWorker
from mexma_search.tm.results import ResultQuery
from mexma_search.tm.workflow import Progress

EDITOR = Caller("editor", Role.EDITOR)
ADMIN = Caller("admin", Role.ADMIN)
ALL = ResultQuery(page_size=1000, sort="position", ascending=True)


@pytest.fixture
def encoders(monkeypatch: pytest.MonkeyPatch) -> list[LexiconEncoder]:
    """The lexicon encoders the jobs use in place of their model's encoder (each records it)."""
    made: list[LexiconEncoder] = []

    def lexicon(runtime: Runtime, encoder: Any, progress: Progress) -> LexiconEncoder:
        made.append(LexiconEncoder(progress, stands_for=encoder))
        return made[-1]

    monkeypatch.setattr(tm_task, "background_encode", lexicon)
    return made


@pytest.fixture
def library(
    services: Services, worker: InProcessWorker, tmp_path: Path
) -> Iterator[tuple[int, int]]:
    yield mining_library(services, tmp_path / "library")


def _pairs(services: Services, job_id: int) -> list[tuple[str, str]]:
    return [(p.src, p.trg) for p in services.tm.results(job_id, ALL, caller=ADMIN).pairs]


def test_a_mining_job_finds_the_planted_pairs(
    services: Services, library: tuple[int, int], encoders: list[LexiconEncoder]
) -> None:
    job_id = services.tm.start_mining(
        MiningSide("tm-en", "en"), MiningSide("tm-es", "es"), caller=ADMIN
    )
    job = services.wait_for_job(job_id, TIMEOUT)
    assert job.status == "succeeded", job
    best = services.tm.results(job_id, ResultQuery(page_size=len(PLANTED)), caller=ADMIN)
    assert {(p.src, p.trg) for p in best.pairs} == set(PLANTED)
    assert job.metrics["src_lang"] == "en" and job.metrics["trg_lang"] == "es"
    assert job.metrics["sentences"] == {"source": 6, "target": 6}
    assert job.metrics["pairs"] == best.total
    # the encoder's progress became the job's
    assert encoders[0].encoded == 12
    assert (job.done, job.total) == (12, 12)
    assert results_path(services.settings, job_id).is_file()
    live = serving_model(services.runtime)
    assert encoders[0].stands_for is live.encoder and job.metrics["model"] == live.version


def test_a_mining_job_can_use_a_model_version_that_does_not_serve_search(
    services: Services,
    library: tuple[int, int],
    encoders: list[LexiconEncoder],
    tiny_cls_model_dir: Path,
) -> None:
    candidate = register_model_version(services.runtime, "for-mining", str(tiny_cls_model_dir))
    job_id = services.tm.start_mining(
        MiningSide("tm-en", "en"), MiningSide("tm-es", "es"), model="for-mining", caller=ADMIN
    )
    job = services.wait_for_job(job_id, TIMEOUT)
    assert job.status == "succeeded", job
    assert encoders[0].stands_for is candidate.encoder
    assert job.metrics["model"] == "for-mining"
    assert serving_model(services.runtime).version != "for-mining"  # search is unchanged


def test_mining_chosen_documents_refuses_one_from_another_collection(
    services: Services, library: tuple[int, int], encoders: list[LexiconEncoder]
) -> None:
    english, spanish = library
    job_id = services.tm.start_mining(
        MiningSide("tm-en", "en", (english, spanish)), MiningSide("tm-es", "es"), caller=ADMIN
    )
    job = services.wait_for_job(job_id, TIMEOUT)
    assert job.status == "failed"
    assert job.error == f"document #{spanish} is not in collection 'tm-en'"
    assert not results_path(services.settings, job_id).exists()


def test_an_alignment_job_pairs_two_documents_in_order(
    services: Services, worker: InProcessWorker, tmp_path: Path, encoders: list[LexiconEncoder]
) -> None:
    english = ingest(services, write_side(tmp_path, "en.txt", [en for en, _ in PLANTED]), "a")
    spanish = ingest(services, write_side(tmp_path, "es.txt", [es for _, es in PLANTED]), "a")
    job_id = services.tm.start_alignment(AlignmentSide(english), AlignmentSide(spanish))
    job = services.wait_for_job(job_id, TIMEOUT)
    assert job.status == "succeeded", job
    assert _pairs(services, job_id) == PLANTED
    assert (job.metrics["src_lang"], job.metrics["trg_lang"]) == ("en", "es")
    assert job.message == "4 en-es pairs aligned from 4 and 4 sentences"


@pytest.mark.parametrize("model", [None, "candidate"], ids=["serving-model", "model-version"])
def test_alignment_runs_on_the_serving_model_or_the_version_chosen(
    services: Services,
    worker: InProcessWorker,
    tmp_path: Path,
    tiny_cls_model_dir: Path,
    model: str | None,
) -> None:
    register_model_version(services.runtime, "candidate", str(tiny_cls_model_dir))
    # the tiny random models know no language, but a sentence is always closest to itself
    sentences = [en for en, _ in PLANTED] + ENGLISH_ONLY
    first = ingest(services, write_side(tmp_path, "first.txt", sentences), "one")
    second = ingest(services, write_side(tmp_path, "second.txt", sentences), "two")
    job_id = services.tm.start_alignment(
        AlignmentSide(first, "en"), AlignmentSide(second, "en"), model=model
    )
    job = services.wait_for_job(job_id, TIMEOUT)
    assert job.status == "succeeded", job
    assert _pairs(services, job_id) == [(s, s) for s in sentences]
    assert job.total == job.done > len(sentences)  # the sentences and their neighbours joined
    assert job.metrics["model"] == (model or serving_model(services.runtime).version)


def test_alignment_encodes_in_background_turns_at_the_encoder(
    services: Services, worker: InProcessWorker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = CountingGate()
    monkeypatch.setattr(services.runtime, "encoder_gate", gate)
    budgets = recorded_batch_budgets(monkeypatch)
    sentences = [en for en, _ in PLANTED]
    first = ingest(services, write_side(tmp_path, "first.txt", sentences), "one")
    second = ingest(services, write_side(tmp_path, "second.txt", sentences), "two")
    budgets.clear()  # ingest's own batches
    turns_before = gate.background_turns
    job_id = services.tm.start_alignment(AlignmentSide(first, "en"), AlignmentSide(second, "en"))
    job = services.wait_for_job(job_id, TIMEOUT)
    assert job.status == "succeeded", job
    # searches go first: the job's batches wait for them, and are small on this CPU
    assert gate.background_turns > turns_before
    assert budgets and set(budgets) == {BACKGROUND_BATCH_TOKENS}


def test_a_cancelled_job_stops_at_the_encoder_and_keeps_no_pairs(
    services: Services, library: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    job_ids: list[int] = []

    def cancelling(runtime: Runtime, encoder: Any, progress: Progress) -> LexiconEncoder:
        services.cancel_job(job_ids[0])
        return LexiconEncoder(progress)

    monkeypatch.setattr(tm_task, "background_encode", cancelling)
    job_ids.append(services.tm.start_mining(MiningSide("tm-en", "en"), MiningSide("tm-es", "es")))
    job = services.wait_for_job(job_ids[0], TIMEOUT)
    assert job.status == "cancelled"
    assert not results_path(services.settings, job_ids[0]).exists()
    with pytest.raises(ValueError, match="it is cancelled"):
        services.tm.results(job_ids[0], ALL, caller=ADMIN)


def test_only_admins_start_or_read_translation_memory_jobs(
    services: Services, library: tuple[int, int], encoders: list[LexiconEncoder]
) -> None:
    sides = (MiningSide("tm-en", "en"), MiningSide("tm-es", "es"))
    with pytest.raises(PermissionError, match="admins only"):
        services.tm.start_mining(*sides, caller=EDITOR)
    english, spanish = library
    with pytest.raises(PermissionError, match="admins only"):
        services.tm.start_alignment(AlignmentSide(english), AlignmentSide(spanish), caller=EDITOR)
    job_id = services.tm.start_mining(*sides, caller=ADMIN)
    services.wait_for_job(job_id, TIMEOUT)
    with pytest.raises(PermissionError, match="admins only"):
        services.tm.results(job_id, ALL, caller=EDITOR)
    with pytest.raises(PermissionError, match="admins only"):
        services.tm.export(job_id, Path("x.tmx"), caller=EDITOR)
    assert [job.id for job in services.tm.list_jobs(caller=ADMIN)] == [job_id]


def test_bad_requests_are_refused_before_queueing(services: Services) -> None:
    with pytest.raises(ValueError, match="no collection named 'nowhere'"):
        services.tm.start_mining(MiningSide("nowhere", "en"), MiningSide("nowhere", "es"))
    with pytest.raises(ValueError, match="give the target language"):
        services.tm.start_mining(MiningSide("default", "en"), MiningSide("default", " "))
    with pytest.raises(ValueError, match="no document #404"):
        services.tm.start_alignment(AlignmentSide(404), AlignmentSide(405))
    with pytest.raises(ValueError, match="two different documents"):
        services.tm.start_alignment(AlignmentSide(7), AlignmentSide(7))
    with pytest.raises(ValueError, match="no model version named 'ghost'"):
        services.tm.start_mining(
            MiningSide("default", "en"), MiningSide("default", "es"), model="ghost"
        )
    assert services.list_jobs() == []


@pytest.mark.parametrize("suffix", ["tmx", "tsv"])
def test_an_export_reads_back_as_the_same_pairs(
    services: Services,
    library: tuple[int, int],
    encoders: list[LexiconEncoder],
    tmp_path: Path,
    suffix: str,
) -> None:
    job_id = services.tm.start_mining(MiningSide("tm-en", "en"), MiningSide("tm-es", "es"))
    services.wait_for_job(job_id, TIMEOUT)
    shown = services.tm.results(job_id, ResultQuery(contains="EL"), caller=ADMIN).pairs
    exported = services.tm.export(
        job_id, tmp_path / f"pairs.{suffix}", ResultQuery(contains="EL"), caller=ADMIN
    )
    read = list(read_bitext(exported, src_lang="en", trg_lang="es"))
    assert [(p.src, p.trg) for p in read] == [(p.src, p.trg) for p in shown]
    assert len(shown) >= 3
