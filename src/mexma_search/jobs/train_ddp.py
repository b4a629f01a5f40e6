"""Training a job on several GPUs: the ``train`` task runs this module under torchrun.

With job parameter ``gpus`` > 1 the task evaluates the base model itself, then runs
``torchrun --standalone --nproc_per_node=GPUS -m mexma_search.jobs.train_ddp JOB_ID`` and waits.
Every process reads the job's settings from the environment it inherits, loads the base model
and the same training split, and runs the same
:class:`~mexma_search.encoder.training.loop.Trainer`, which wraps the objective in DDP (NCCL on
GPUs, one device per local rank; gloo on CPU, which the tests use).
Rank 0 reports progress and reads cancellation through the jobs table, as a one-process run
does, and writes the outcome to ``RESULT_FILE`` in the run directory for the task to read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mexma_search.app.runtime import Runtime
from mexma_search.app.settings import Settings, get_settings
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.training.data import xsim_evaluator
from mexma_search.encoder.training.distributed import DistributedContext
from mexma_search.encoder.training.loop import TrainingResult, train
from mexma_search.jobs.handler import JobError
from mexma_search.jobs.train_progress import JobProgress
from mexma_search.store import get_job, session_scope

RESULT_FILE = "ddp-result.json"


def train_in_processes(
    settings: Settings, run_dir: Path, job_id: int, processes: int
) -> tuple[TrainingResult, bool]:
    """Run job ``job_id``'s training in ``processes`` torchrun processes with ``settings``;
    the result and whether a cancellation stopped it. JobError if the launch fails."""
    result_file = run_dir / RESULT_FILE
    result_file.unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={processes}",
        "-m",
        __name__,
        str(job_id),
    ]
    environment = {**os.environ, **settings.as_environment()}
    completed = subprocess.run(command, env=environment, check=False)
    if completed.returncode != 0 or not result_file.is_file():
        raise JobError(
            f"multi-GPU training ({processes} processes under torchrun) exited with status "
            f"{completed.returncode}; see the worker's log"
        )
    saved = json.loads(result_file.read_text())
    cancelled = saved.pop("cancelled")
    fields = {**saved, "model_dir": run_dir / "model", "best_dir": None, "checkpoint_dir": None}
    return TrainingResult(**fields), cancelled


def main(argv: list[str] | None = None) -> None:
    """One torchrun process of job ``argv[0]``'s training."""
    from mexma_search.jobs.train import job_training_inputs  # the task module imports this one

    job_id = int((argv if argv is not None else sys.argv[1:])[0])
    settings = get_settings()
    runtime = Runtime(settings)
    with session_scope(runtime.engine) as session:
        job = get_job(session, job_id)
        if job is None:
            raise SystemExit(f"job {job_id} does not exist")
        parameters = dict(job.parameters)
    config, splits = job_training_inputs(settings, job_id, parameters)
    evaluate = xsim_evaluator(splits.held_out, batch_size=settings.encode_batch_size)
    encoder = SentenceEncoder.load(parameters["base_path"], device=settings.device)
    progress = JobProgress(runtime, job_id)
    result = train(encoder, splits.train, config, evaluator=evaluate, callbacks=[progress])
    if DistributedContext.from_env().is_main:
        saved: dict[str, Any] = asdict(result)
        for path_field in ("model_dir", "best_dir", "checkpoint_dir"):
            saved.pop(path_field)
        saved["cancelled"] = progress.cancelled
        (config.output_dir / RESULT_FILE).write_text(json.dumps(saved))
    runtime.close()


if __name__ == "__main__":
    main()
