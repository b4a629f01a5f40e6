"""``mexma-search serve`` stopped with SIGTERM (as systemd or docker stop it): the running job
goes back to the queue and the process exits cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mexma_search.app.settings import Settings
from mexma_search.jobs.backends import open_services

STARTUP_TIMEOUT_S = 180
STOP_TIMEOUT_S = 20
PAIRS = [(f"The river {n} flows under bridges", f"El río {n} pasa bajo puentes") for n in range(40)]
ENDLESS_TRAINING = {
    "max_steps": 100_000,
    "batch_size": 4,
    "grad_accumulation": 1,
    "max_length": 24,
    "held_out": 8,
    "koleo": False,
}


@pytest.mark.timeout(STARTUP_TIMEOUT_S + 120)
def test_sigterm_stops_serve_and_requeues_the_running_job(
    tmp_path: Path, tiny_mean_model_dir: Path, default_model_dir: Path
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings(
        data_dir=tmp_path / "data",
        models_dir=default_model_dir.parent,
        default_model=str(tiny_mean_model_dir),
        device="cpu",
        cpu_threads=1,
    )
    job_id = _queue_training(settings, tmp_path / "pairs.tsv")
    env = {
        **os.environ,
        "MEXMA_DATA_DIR": str(settings.data_dir),
        "MEXMA_MODELS_DIR": str(settings.models_dir),
        "MEXMA_DEFAULT_MODEL": settings.default_model,
        "MEXMA_DEVICE": "cpu",
        "MEXMA_CPU_THREADS": "1",
        "MEXMA_PORT": str(port),
        "MEXMA_ADMIN_PASSWORD": "not-the-default",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    command = [sys.executable, "-c", "from mexma_search.cli import main; main()", "serve"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        _wait_until_training(settings, job_id, process)
        process.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        output, _ = process.communicate(timeout=STOP_TIMEOUT_S)
        stopped_after_s = time.monotonic() - stopping
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert stopped_after_s < STOP_TIMEOUT_S
    assert "Stopping" in output
    assert _job_status(settings, job_id) == "queued"


def _queue_training(settings: Settings, bitext: Path) -> int:
    """A training job of many steps, queued while no worker runs."""
    bitext.write_text("".join(f"{src}\t{trg}\n" for src, trg in PAIRS), encoding="utf-8")
    services = open_services(settings)
    try:
        read_options = {"src_lang": "en", "trg_lang": "es"}
        return services.start_training(bitext, params=ENDLESS_TRAINING, read_options=read_options)
    finally:
        services.runtime.close()


def _wait_until_training(settings: Settings, job_id: int, process: subprocess.Popen[str]) -> None:
    """Wait until serve's worker has taken up the job and trained a step."""
    services = open_services(settings)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"serve exited early:\n{process.communicate()[0]}")
            job = services.get_job(job_id)
            if job is not None and job.status == "running" and job.done:
                return
            time.sleep(0.5)
    finally:
        services.runtime.close()
    raise AssertionError(f"job {job_id} not training after {STARTUP_TIMEOUT_S} s")


def _job_status(settings: Settings, job_id: int) -> str | None:
    services = open_services(settings)
    try:
        job = services.get_job(job_id)
        return job.status if job is not None else None
    finally:
        services.runtime.close()
