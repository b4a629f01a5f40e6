"""Fault: the embedded app is SIGKILLed while it trains. Its training child notices and exits;
at the next start the job resumes from the last checkpoint and completes."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from mexma_search.app.settings import Settings
from mexma_search.jobs.backends import open_services

TIMEOUT_S = 240
PAIRS = [(f"The river {n} flows under bridges", f"El río {n} pasa bajo puentes") for n in range(80)]
STEPS = 600
CHECKPOINT_EVERY = 5
PARAMS = {
    "max_steps": STEPS,
    "checkpoint_every": CHECKPOINT_EVERY,
    "batch_size": 8,
    "grad_accumulation": 1,
    "max_length": 24,
    "held_out": 8,
    "koleo": False,
}


def _training_children(job_id: int) -> list[psutil.Process]:
    """The processes training job ``job_id``, wherever they were started from."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        command = process.info["cmdline"] or []
        if "mexma_search.jobs.train_ddp" in command and command[-1:] == [str(job_id)]:
            found.append(process)
    return found


def _job(settings: Settings, job_id: int) -> tuple[str, str | None, int]:
    services = open_services(settings)
    try:
        job = services.get_job(job_id)
        assert job is not None
        return job.status, job.stage, job.done
    finally:
        services.runtime.close()


@pytest.mark.timeout(2 * TIMEOUT_S + 60)
def test_an_app_killed_mid_training_resumes_the_job_from_its_checkpoint(
    tmp_path: Path,
    app_settings: Settings,
    start_serve: Callable[[Settings], subprocess.Popen[str]],
) -> None:
    settings = app_settings
    bitext = tmp_path / "pairs.tsv"
    bitext.write_text("".join(f"{s}\t{t}\n" for s, t in PAIRS), encoding="utf-8")
    services = open_services(settings)
    try:
        job_id = services.start_training(
            bitext, params=PARAMS, read_options={"src_lang": "en", "trg_lang": "es"}
        )
    finally:
        services.runtime.close()

    first = start_serve(settings)
    deadline = time.monotonic() + TIMEOUT_S
    try:
        while _job(settings, job_id)[2] < 2 * CHECKPOINT_EVERY + 1:
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.1)
        children = _training_children(job_id)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    assert children, "no training child found before the kill"
    killed_at = _job(settings, job_id)[2]
    assert killed_at < STEPS, "training ended before the kill"
    _, alive = psutil.wait_procs(children, timeout=30)
    assert not alive, "the training child outlived its app"

    second = start_serve(settings)
    seen: list[int] = []
    try:
        while (state := _job(settings, job_id))[0] != "succeeded":
            assert state[0] in ("queued", "running") and time.monotonic() < deadline, state
            if state[1] == "training":
                seen.append(state[2])
            time.sleep(0.05)
    finally:
        second.terminate()
        second.wait(60)
    # resumed: its steps went on from the checkpoint, never back to the first steps
    assert seen and min(seen) >= 2 * CHECKPOINT_EVERY, seen[:10]
