"""Training through the services: validation, the ``train`` task on the embedded worker, its
metrics, cancellation, re-delivery and promotion of the candidate (tiny model, seconds)."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import psutil
import pytest
from sqlalchemy import update

from mexma_search.app.access import OPERATOR
from mexma_search.app.model_checks import WorseMetricsError
from mexma_search.app.queues import Step
from mexma_search.app.services import Services
from mexma_search.app.training_params import FINE_TUNING_DEFAULTS, FINE_TUNING_DISTILL_WEIGHT
from mexma_search.app.views import JobInfo
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.pair_retrieval import RETRIEVAL_METRICS
from mexma_search.jobs import train as train_task
from mexma_search.jobs.inprocess import InProcessWorker
from mexma_search.jobs.train import run_directory
from mexma_search.store import Job, JobStatus, session_scope
from mexma_search.store.types import utcnow

pytestmark = pytest.mark.filterwarnings("ignore:Failed to obtain server version:UserWarning")

TIMEOUT = 120
DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
PAIRS = [
    (f"The river {n} flows under {n % 7} bridges", f"El río {n} pasa bajo {n % 7} puentes")
    for n in range(60)
]
QUICK = {
    "max_steps": 6,
    "batch_size": 4,
    "grad_accumulation": 1,
    "max_length": 24,
    "held_out": 8,
    "eval_every": 3,
    "koleo": False,
}


@pytest.fixture
def bitext(tmp_path: Path) -> Path:
    """60 English-Spanish pairs with a language header, and one pair with an empty side."""
    path = tmp_path / "upload" / "pairs en-es.tsv"
    path.parent.mkdir()
    lines = ["en\tes", *(f"{src}\t{trg}" for src, trg in PAIRS), "\tempty source"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _stored_bitexts(services: Services) -> list[Path]:
    folder = (services.settings.uploads_dir or Path()) / "bitext"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _wait_until_training(services: Services, job_id: int) -> JobInfo:
    deadline = time.monotonic() + TIMEOUT
    while True:
        job = services.get_job(job_id)
        assert job is not None and not job.finished, job
        if job.stage == "training" and job.done > 0:
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def _training_children(job_id: int) -> list[psutil.Process]:
    """This process's children that run train job ``job_id``."""
    command = ["-m", "mexma_search.jobs.train_ddp", str(job_id)]
    return [
        child
        for child in psutil.Process().children(recursive=True)
        if child.cmdline()[-3:] == command
    ]


def test_validation_reports_usable_pairs_and_names_the_broken_line(
    services: Services, bitext: Path, tmp_path: Path
) -> None:
    good = services.validate_bitext(bitext)
    assert good["ok"] and good["error"] is None
    assert (good["report"]["pairs_read"], good["report"]["pairs_kept"]) == (61, 60)
    assert good["report"]["dropped"]["empty_side"] == 1
    assert "pairs kept: 60" in good["text"] and "empty side: 1 (lines 62)" in good["text"]

    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"en": "one", "es": "uno"}\n{"en": "two", "es": "dos"}\n{not json\n')
    bad = services.validate_bitext(broken)
    assert not bad["ok"] and bad["report"] is None
    assert bad["error"] == bad["text"]
    assert "broken.jsonl, line 3" in bad["error"] and "JSON" in bad["error"]
    assert str(tmp_path) not in bad["error"]  # the server's directories are not shown

    empty = tmp_path / "empty.tsv"
    empty.write_text("en\tes\nsame\tsame\n")
    assert services.validate_bitext(empty)["error"] == "no usable pair in the bitext"
    # two aligned text files, read with an option
    src, trg = tmp_path / "c.en", tmp_path / "c.es"
    src.write_text("".join(f"{s}\n" for s, _ in PAIRS))
    trg.write_text("".join(f"{t}\n" for _, t in PAIRS))
    assert services.validate_bitext(src, second_path=trg)["report"]["pairs_kept"] == 60

    for path, params, problem in [
        (broken, {}, "line 3"),
        (bitext, {"epochs": 2.5}, "epochs must be a whole number"),
        (bitext, {"lr": 1e-4}, "unknown training parameter"),
        (bitext, {"held_out": 58}, "too few usable pairs"),
    ]:
        with pytest.raises(ValueError, match=problem):
            services.start_training(path, params=params)
    assert services.list_jobs(kind="train") == []
    assert _stored_bitexts(services) == []


@pytest.mark.timeout(4 * TIMEOUT + 120)  # four jobs waited for one after the other
def test_a_train_job_registers_a_candidate_that_promotion_makes_live(
    services: Services, worker: InProcessWorker, bitext: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.wait_for_job(
        services.ingest_paths([DOCS / "river_en.txt"], caller=OPERATOR)[0], TIMEOUT
    )
    job_id = services.start_training(bitext, params=QUICK)
    job = services.wait_for_job(job_id, TIMEOUT)
    assert job.status == "succeeded", job.error
    name = f"tiny-mean0-mexma-{job_id}"
    assert job.parameters["model_version"] == name and job.parameters["base"] == "tiny-mean0"
    assert job.parameters["filename"] == "pairs en-es.tsv"
    assert [Path(job.parameters["bitext"])] == _stored_bitexts(services)
    assert job.parameters["validation"]["pairs_kept"] == 60
    assert (job.done, job.total, job.eta_seconds) == (6, 6, None)
    assert name in (job.message or "") and "on 8 held-out pairs" in (job.message or "")

    summary = job.metrics
    assert summary["held_out"] == 8 and summary["steps"] == 6
    xsim = {f"xsim_{kind}_error{direction}" for kind in ("cos", "margin")
            for direction in ("", "_src2trg", "_trg2src")}  # fmt: skip
    keys = xsim | set(RETRIEVAL_METRICS)
    assert set(summary["before"]) == set(summary["after"]) == set(summary["improvement"]) == keys
    for key in xsim:
        assert summary["improvement"][key] == summary["before"][key] - summary["after"][key]
    for key in RETRIEVAL_METRICS:
        assert summary["improvement"][key] == summary["after"][key] - summary["before"][key]
    assert summary["validation"] == {"pairs_read": 61, "pairs_kept": 60, "pairs_dropped": 1}
    assert summary["params"]["max_steps"] == 6
    # the measured fine-tuning defaults
    assert summary["params"]["learning_rate"] == FINE_TUNING_DEFAULTS["learning_rate"]
    assert summary["params"]["token_gradient"] is False
    assert summary["params"]["mlm_weight"] == 0.0
    assert summary["params"]["alignment"] == FINE_TUNING_DEFAULTS["alignment"] == "contrastive"
    assert summary["params"]["distill_weight"] == FINE_TUNING_DISTILL_WEIGHT > 0

    metrics = services.job_metrics(job_id)
    assert [row["step"] for row in metrics] == list(range(7))
    assert metrics[0] == {"step": 0, **summary["before"]}
    for row in metrics[1:]:
        assert {"loss", "align", "mlm", "lr", "pairs_per_second"} <= set(row)
        assert row["loss"] > 0
    assert {row["step"] for row in metrics if "xsim_margin_error" in row} == {0, 3, 6}
    assert {k: metrics[-1][k] for k in keys} == summary["after"]
    assert services.job_metrics(job_id, after_step=4) == metrics[5:]

    versions = {v.name: v for v in services.list_model_versions()}
    candidate = versions[name]
    assert (candidate.status, candidate.live) == ("candidate", False)
    assert candidate.qdrant_collection == f"chunks__{name}"
    assert candidate.metrics == summary and candidate.pooling == "mean"
    assert not run_directory(services.settings, job_id).exists()
    encoder = SentenceEncoder.load(candidate.path, device="cpu")
    assert encoder.config.name == name and encoder.dimension == candidate.dimension

    # a re-delivered message of a finished job whose worker died before saying so (silent
    # since) finishes again without training
    def no_training(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("trained again")

    monkeypatch.setattr(train_task, "train_in_child", no_training)
    with session_scope(services.runtime.engine) as session:
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                status=JobStatus.RUNNING,
                finished_at=None,
                heartbeat_at=utcnow() - timedelta(hours=1),
            )
        )
    services.queue.enqueue(job_id, Step.TRAIN)
    rerun = services.wait_for_job(job_id, TIMEOUT)
    assert (rerun.status, rerun.metrics, rerun.message) == ("succeeded", summary, job.message)
    assert services.job_metrics(job_id) == metrics

    got_worse = {key for key, change in summary["improvement"].items() if change < 0}
    assert {change.name for change in services.worse_metrics(name)} == got_worse
    if got_worse:
        with pytest.raises(WorseMetricsError):
            services.promote_model(name)
    promotion = services.wait_for_job(services.promote_model(name, accept_worse=True), TIMEOUT)
    assert promotion.status == "succeeded", promotion.error
    assert services.search("river", k=1, caller=OPERATOR)[0].model_version == name
    assert {v.name: v for v in services.list_model_versions()}[name].live


@pytest.mark.timeout(3 * TIMEOUT + 120)
def test_cancelling_stops_training_cleanly_while_ingestion_goes_on(
    services: Services, worker: InProcessWorker, bitext: Path
) -> None:
    job_id = services.start_training(bitext, params={**QUICK, "max_steps": 100_000})
    running = _wait_until_training(services, job_id)
    # training runs in a child process, whose memory goes back to the system when it ends
    assert _training_children(job_id), "no training child process"
    assert running.total == 100_000 and running.eta_seconds is not None
    assert "step " in (running.message or "") and "left" in (running.message or "")
    # the training thread does not hold up an upload
    ingest = services.wait_for_job(
        services.ingest_paths([DOCS / "river_fr.md"], caller=OPERATOR)[0], TIMEOUT
    )
    assert ingest.status == "succeeded"
    assert services.get_job(job_id).status == "running"  # type: ignore[union-attr]

    assert services.cancel_job(job_id)
    job = services.wait_for_job(job_id, TIMEOUT)
    assert job.status == "cancelled" and job.done < job.total  # type: ignore[operator]
    name = job.parameters["model_version"]
    assert name not in {v.name for v in services.list_model_versions()}
    assert not (services.settings.models_dir or Path()).joinpath(name).exists()
    assert not run_directory(services.settings, job_id).exists()
    assert services.job_metrics(job_id)[-1]["step"] >= running.done
    assert not _training_children(job_id)


@pytest.mark.timeout(2 * TIMEOUT + 120)
def test_a_stopping_worker_ends_the_training_child_and_requeues_the_job(
    services: Services, worker: InProcessWorker, bitext: Path
) -> None:
    job_id = services.start_training(bitext, params={**QUICK, "max_steps": 100_000})
    _wait_until_training(services, job_id)
    children = _training_children(job_id)
    assert children
    worker.stop()
    assert not any(child.is_running() for child in children)
    job = services.get_job(job_id)
    assert job is not None and job.status == "queued"
    assert run_directory(services.settings, job_id).exists()  # it resumes from there


def test_a_failed_job_says_why(services: Services, bitext: Path) -> None:
    job_id = services.start_training(bitext, params=QUICK)
    stored = Path(services.get_job(job_id).parameters["bitext"])  # type: ignore[union-attr]
    stored.unlink()  # the shared uploads volume lost the file before a worker took the job
    with InProcessWorker(services):
        job = services.wait_for_job(job_id, TIMEOUT)
    assert job.status == "failed"
    assert job.error == f"{bitext.name}: file not found"  # the name uploaded, no server path


def test_a_job_asking_for_two_gpus_trains_in_two_torchrun_processes(
    services: Services, worker: InProcessWorker, bitext: Path
) -> None:
    """On this CPU machine the two processes use gloo instead of NCCL; the launch, the
    per-rank data, the progress from rank 0 and the hand-back of the result are the same."""
    job_id = services.start_training(bitext, params={**QUICK, "gpus": 2, "max_steps": 4})
    job = services.wait_for_job(job_id, TIMEOUT)
    assert job.status == "succeeded", job.error
    summary = job.metrics
    assert summary["steps"] == 4 and summary["params"]["gpus"] == 2
    assert set(summary["after"]) == set(summary["before"])
    metrics = services.job_metrics(job_id)
    assert [row["step"] for row in metrics] == list(range(5))  # rank 0 reported every step
    versions = {v.name: v for v in services.list_model_versions()}
    assert versions[job.parameters["model_version"]].status == "candidate"
    assert not run_directory(services.settings, job_id).exists()
