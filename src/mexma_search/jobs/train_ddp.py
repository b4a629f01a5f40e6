"""A train job's heavy part in a child process: the ``train`` task runs this module and waits.

The task runs ``python -m mexma_search.jobs.train_ddp JOB_ID``, or with job parameter ``gpus``
above 1 ``torchrun --standalone --nproc_per_node=GPUS -m mexma_search.jobs.train_ddp JOB_ID``
(DDP: NCCL on GPUs, one device per local rank; gloo on CPU, which the tests use). Every process
reads the job's settings from the environment it inherits, loads the base model and the same
training split, and runs the same :class:`~mexma_search.encoder.training.loop.Trainer`.

Rank 0 scores the base model on the held-out pairs, reports progress and reads cancellation
through the jobs table, exports the trained encoder atomically to ``models_dir/<version>`` and
writes the outcome to ``RESULT_FILE`` in the run directory for the task to read. The memory
training takes goes back to the system when the child exits. SIGTERM (the worker stopping)
ends training after the current step; the run's checkpoint lets the job resume.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mexma_search.app.runtime import Runtime
from mexma_search.app.settings import Settings, get_settings
from mexma_search.app.training_params import training_config
from mexma_search.encoder.bitext import BitextError
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.training.config import TrainingConfig
from mexma_search.encoder.training.data import (
    BitextSource,
    TrainingSplits,
    held_out_evaluator,
    held_out_split,
    improvement,
)
from mexma_search.encoder.training.distributed import DistributedContext
from mexma_search.encoder.training.export import export_encoder
from mexma_search.encoder.training.loop import TrainingResult, train
from mexma_search.jobs.handler import JobError, JobInterruptedError
from mexma_search.jobs.parent_watch import exit_with_parent, parent_environment
from mexma_search.jobs.train_progress import JobProgress
from mexma_search.store import get_job, record_metrics, session_scope, update_progress

logger = logging.getLogger(__name__)

RESULT_FILE = "result.json"
LOG_FILE = "child.log"
STAGE_READING = "reading bitext"
STAGE_BASELINE = "evaluating base"
STAGE_EXPORTING = "exporting"
POLL_S = 0.2
# how long a stopping worker lets the child finish its step and checkpoint before killing it
STOP_GRACE_S = 30.0
ERROR_LINES = 5
# the directories of an absolute path (the file name after them is kept)
_DIRECTORIES = re.compile(r"(?<![\w.~])(?:/[^\s/\"':,()]+)+/(?=[^\s/\"':,()])")


def run_directory(settings: Settings, job_id: int) -> Path:
    """Where the run of train job ``job_id`` keeps its checkpoints."""
    return settings.data_dir / "training" / f"job-{job_id}"


def job_training_inputs(
    settings: Settings, job_id: int, parameters: Mapping[str, Any]
) -> tuple[TrainingConfig, TrainingSplits]:
    """The training config and the train/held-out split of train job ``job_id``."""
    params = parameters["params"]
    output_dir = run_directory(settings, job_id)
    config = training_config(params, output_dir, settings, model_name=parameters["model_version"])
    source = BitextSource(Path(parameters["bitext"]), parameters["read_options"])
    try:
        return config, held_out_split(source, params["held_out"], config.seed)
    except BitextError as exc:
        # the stored copy has a name of our own: show the name it was uploaded with
        uploaded = exc.path == parameters["bitext"]
        raise JobError(exc.naming(parameters["filename"]) if uploaded else exc.brief) from exc


def train_in_child(
    settings: Settings, job_id: int, processes: int, stopping: threading.Event
) -> dict[str, Any]:
    """Run job ``job_id``'s baseline, training and export in a child process (``processes``
    torchrun processes when above 1) with ``settings``; the outcome it wrote.

    JobError with the child's reason, or its last stderr lines, if it fails;
    JobInterruptedError after stopping it when ``stopping`` is set first.
    """
    run_dir = run_directory(settings, job_id)
    run_dir.mkdir(parents=True, exist_ok=True)
    result_file = run_dir / RESULT_FILE
    result_file.unlink(missing_ok=True)
    environment = {**os.environ, **settings.as_environment(), **parent_environment()}
    log = run_dir / LOG_FILE
    with log.open("wb") as stderr:
        child = subprocess.Popen(
            child_command(job_id, processes),
            env=environment,
            stderr=stderr,
            # its own process group: a Ctrl-C at the terminal reaches the server alone
            start_new_session=True,
        )
        try:
            stopped = _wait(child, stopping)
        finally:
            if child.poll() is None:
                _terminate(child)
    if stopped:
        raise JobInterruptedError
    if child.returncode != 0 or not result_file.is_file():
        tail = log.read_text(errors="replace").strip().splitlines()[-ERROR_LINES:]
        logger.error("training child of job %s failed:\n%s", job_id, "\n".join(tail))
        raise JobError(failure_message(child.returncode, tail))
    outcome: dict[str, Any] = json.loads(result_file.read_text())
    if "error" in outcome:
        raise JobError(outcome["error"])
    return outcome


def child_command(job_id: int, processes: int) -> list[str]:
    """The command line of job ``job_id``'s child: this module, under torchrun if
    ``processes`` > 1."""
    launcher = ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}"]
    return [sys.executable, *(launcher if processes > 1 else []), "-m", __name__, str(job_id)]


def failure_message(status: int | None, tail: list[str]) -> str:
    """The job's error for a child that exited with ``status``: its last stderr lines
    ``tail``, with directories left out of any path."""
    lines = [_DIRECTORIES.sub("", line) for line in tail]
    return "\n".join([f"training stopped with exit status {status}", *lines])


def _wait(child: subprocess.Popen[bytes], stopping: threading.Event) -> bool:
    """Wait for ``child`` to exit; True if ``stopping`` was set first (the child is then
    stopped)."""
    while child.poll() is None:
        if stopping.wait(POLL_S):
            _terminate(child)
            return True
    return False


def _terminate(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the child's process group; SIGKILL after ``STOP_GRACE_S``."""
    try:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    except ProcessLookupError:
        child.wait()


def main(argv: list[str] | None = None) -> None:
    """The child (one torchrun process) of job ``argv[0]``; rank 0 writes the outcome."""
    job_id = int((argv if argv is not None else sys.argv[1:])[0])
    exit_with_parent()
    runtime = Runtime(get_settings())
    signal.signal(signal.SIGTERM, lambda *_: runtime.stopping.set())
    try:
        outcome = run_job(runtime, job_id)
    except JobError as exc:
        outcome = {"error": str(exc)}
    finally:
        runtime.close()
    if DistributedContext.from_env().is_main:
        result_file = run_directory(runtime.settings, job_id) / RESULT_FILE
        result_file.parent.mkdir(parents=True, exist_ok=True)
        written = result_file.with_name(result_file.name + ".tmp")
        written.write_text(json.dumps(outcome))
        written.replace(result_file)


def run_job(runtime: Runtime, job_id: int) -> dict[str, Any]:
    """Score the base model, train and export job ``job_id``'s model; the outcome for the task:
    ``status``, ``cancelled``, ``pid`` and, when training completed, the ``summary``."""
    settings = runtime.settings
    parameters = _job_parameters(runtime, job_id)
    is_main = DistributedContext.from_env().is_main
    if is_main:
        _report(runtime, job_id, STAGE_READING)
    config, splits = job_training_inputs(settings, job_id, parameters)
    evaluate = held_out_evaluator(splits.held_out, batch_size=settings.encode_batch_size)
    encoder = SentenceEncoder.load(parameters["base_path"], device=settings.device)
    before: dict[str, float] = {}
    if is_main:
        pairs = len(splits.held_out)
        _report(runtime, job_id, STAGE_BASELINE, f"base model on {pairs} held-out pairs")
        before = evaluate(encoder)
        with session_scope(runtime.engine) as session:
            record_metrics(session, job_id, 0, before)
    progress = JobProgress(runtime, job_id)
    result = train(encoder, splits.train, config, evaluator=evaluate, callbacks=[progress])
    outcome: dict[str, Any] = {
        "status": result.status,
        "cancelled": progress.cancelled,
        "pid": os.getpid(),
    }
    if is_main and result.status == "completed":
        _report(runtime, job_id, STAGE_EXPORTING, "exporting the encoder", eta_seconds=0.0)
        model_dir = Path(parameters["model_dir"])
        export_encoder(encoder, model_dir, encoder.config)
        outcome["summary"] = job_summary(parameters, before, result, len(splits.held_out))
    return outcome


def job_summary(
    parameters: Mapping[str, Any],
    before: Mapping[str, float],
    result: TrainingResult,
    held_out: int,
) -> dict[str, Any]:
    """The job's and the version's metrics: scores before and after, and how they came."""
    after = dict(result.metrics)
    validation = parameters["validation"]
    return {
        "model_version": parameters["model_version"],
        "path": parameters["model_dir"],
        "base": parameters["base"],
        "before": dict(before),
        "after": after,
        # in percentage points, positive is better (errors fell, retrieval scores rose)
        "improvement": {
            key: improvement(key, before[key], after[key]) for key in after if key in before
        },
        "held_out": held_out,
        "steps": result.steps,
        "train_seconds": result.train_seconds,
        "pairs_per_second": result.pairs_per_second,
        "final_losses": dict(result.losses),
        "bitext": parameters["filename"],
        "validation": {
            key: validation[key] for key in ("pairs_read", "pairs_kept", "pairs_dropped")
        },
        "params": dict(parameters["params"]),
    }


def _job_parameters(runtime: Runtime, job_id: int) -> dict[str, Any]:
    """Job ``job_id``'s parameters, with the directory its model version is exported to."""
    with session_scope(runtime.engine) as session:
        job = get_job(session, job_id)
        if job is None:
            raise SystemExit(f"job {job_id} does not exist")
        parameters = dict(job.parameters)
    for name in ("model_version", "base_path", "bitext", "params"):
        if name not in parameters:
            raise JobError(f"job {job_id} has no {name!r} parameter")
    assert runtime.settings.models_dir is not None
    parameters["model_dir"] = str(runtime.settings.models_dir / parameters["model_version"])
    return parameters


def _report(
    runtime: Runtime,
    job_id: int,
    stage: str,
    message: str | None = None,
    *,
    eta_seconds: float | None = None,
) -> None:
    """Record the stage job ``job_id`` is at (a cancellation is read at the next step)."""
    with session_scope(runtime.engine) as session:
        update_progress(session, job_id, stage=stage, message=message, eta_seconds=eta_seconds)


if __name__ == "__main__":
    main()
