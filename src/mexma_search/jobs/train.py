"""The ``train`` task: fine-tune a model with MEXMA on a bitext and register a candidate version.

The heavy part runs in a child process (:mod:`mexma_search.jobs.train_ddp`), so that the memory
of training goes back to the system when it ends: the child reads and filters the bitext while
streaming and sets a held-out sample aside (a seeded hash sample, so the same file always gives
the same split), scores the base model on the held-out pairs (xsim errors, cosine and margin,
both directions, and same- and cross-language retrieval scores), trains, reporting every step
through :class:`~mexma_search.jobs.train_progress.JobProgress` and checkpointing into
``data_dir/training/job-<id>``, scores the result on the same pairs and exports the encoder
atomically to ``models_dir/<version>``. The task then registers it as a candidate model version
carrying both scores; promoting it is a separate (reindex) job.

With job parameter ``gpus`` above 1 the child is that many torchrun processes (DDP, one GPU
each).

Re-delivery: a job whose version is already registered finishes without training again; any
other run resumes from its last checkpoint. Cancellation stops after the current step; the run
directory and any export are removed and no version is registered. A worker that stops ends
the child (the job goes back to the queue and resumes from its checkpoint).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from mexma_search.app.settings import Settings
from mexma_search.app.training_params import JOB_ONLY_DEFAULTS
from mexma_search.encoder.atomic import temporary_path
from mexma_search.encoder.config import CONFIG_FILE
from mexma_search.index import collection_name
from mexma_search.jobs.handler import JobCancelledError, JobError, JobHandler, JobInterruptedError
from mexma_search.jobs.train_ddp import run_directory, train_in_child
from mexma_search.store import (
    NewModelVersion,
    create_model_version,
    get_model_version,
    session_scope,
)

# the metric the finish message quotes (mean of both directions, percent)
HEADLINE_METRIC = "xsim_margin_error"


class TrainModel(JobHandler):
    """Fine-tune the base model on the job's bitext; register the result as a candidate."""

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def version(self) -> str:
        """The name of the model version this job produces."""
        name: str = self.parameter("model_version")
        return name

    @property
    def model_dir(self) -> Path:
        assert self.settings.models_dir is not None
        return self.settings.models_dir / self.version

    def run(self) -> None:
        registered = self._registered_summary()
        if registered is not None:
            self.finish(_finish_message(registered), registered)
            return
        params: dict[str, Any] = self.parameter("params")
        processes = int(params.get("gpus", JOB_ONLY_DEFAULTS["gpus"]))
        outcome = train_in_child(self.settings, self.job_id, processes, self.runtime.stopping)
        if outcome["status"] != "completed":
            # a shutting-down worker leaves the checkpoint: the job resumes at the next start
            raise JobCancelledError if outcome["cancelled"] else JobInterruptedError
        summary: dict[str, Any] = outcome["summary"]
        self._register(summary)
        shutil.rmtree(run_directory(self.settings, self.job_id), ignore_errors=True)
        self.finish(_finish_message(summary), summary)

    def _register(self, summary: Mapping[str, Any]) -> None:
        pooling, dimension = exported_pooling_and_dimension(self.model_dir)
        new = NewModelVersion(
            name=self.version,
            source=str(self.model_dir),
            path=str(self.model_dir),
            pooling=pooling,
            dimension=dimension,
            base=self.parameter("base"),
            metrics=summary,
            job_id=self.job_id,
            # its collection once promoted (the reindex job creates it)
            qdrant_collection=collection_name(self.version),
        )
        try:
            with session_scope(self.runtime.engine) as session:
                create_model_version(session, new)
        except IntegrityError:
            # a re-delivered copy of this job registered it first (another job's is an error)
            self._registered_summary()

    def _registered_summary(self) -> dict[str, Any] | None:
        """The metrics of this job's model version if it is registered already."""
        with session_scope(self.runtime.engine) as session:
            version = get_model_version(session, self.version)
            if version is None:
                return None
            if version.job_id != self.job_id:
                raise JobError(f"a model version named {self.version!r} already exists")
            return dict(version.metrics)

    def cleanup(self, reason: str) -> None:
        """Remove the run's checkpoints and any export not registered as a version."""
        shutil.rmtree(run_directory(self.settings, self.job_id), ignore_errors=True)
        if "model_version" not in self.job.parameters:
            return
        with session_scope(self.runtime.engine) as session:
            registered = get_model_version(session, self.version) is not None
        if not registered:
            for directory in (self.model_dir, temporary_path(self.model_dir)):
                shutil.rmtree(directory, ignore_errors=True)


def exported_pooling_and_dimension(model_dir: Path) -> tuple[str, int]:
    """The pooling and vector length of the model exported to ``model_dir``, read from its
    config files (the weights stay on disk)."""
    pooling: str = json.loads((model_dir / CONFIG_FILE).read_text())["pooling"]
    dimension = int(json.loads((model_dir / "config.json").read_text())["hidden_size"])
    return pooling, dimension


def _finish_message(summary: Mapping[str, Any]) -> str:
    before = summary["before"].get(HEADLINE_METRIC)
    after = summary["after"].get(HEADLINE_METRIC)
    scores = ""
    if before is not None and after is not None:
        scores = (
            f": xsim margin error {before:.2f} % -> {after:.2f} % "
            f"on {summary['held_out']} held-out pairs"
        )
    return f"{summary['model_version']} registered as a candidate{scores}"
