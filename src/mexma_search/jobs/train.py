"""The ``train`` task: fine-tune a model with MEXMA on a bitext and register a candidate version.

The bitext is read and filtered while streaming, and a held-out sample is set aside (a seeded
hash sample, so the same file always gives the same split). The base model is scored on the
held-out pairs (xsim errors, cosine and margin, both directions); training then reports every
step through :class:`~mexma_search.jobs.train_progress.JobProgress` and checkpoints into
``data_dir/training/job-<id>``; the trainer scores the result on the same pairs at the end.
The encoder is exported atomically to ``models_dir/<version>`` and registered as a candidate
model version carrying both scores; promoting it is a separate (reindex) job.

With job parameter ``gpus`` above 1 the training runs in that many torchrun processes (DDP,
one GPU each; see :mod:`mexma_search.jobs.train_ddp`); evaluation and export stay in the task.

Re-delivery: a job whose version is already registered finishes without training again; any
other run resumes from its last checkpoint. Cancellation stops after the current step; the run
directory and any export are removed and no version is registered.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from mexma_search.app.settings import Settings
from mexma_search.app.training_params import JOB_ONLY_DEFAULTS, training_config
from mexma_search.encoder.atomic import temporary_path
from mexma_search.encoder.bitext import BitextError
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.training.config import TrainingConfig
from mexma_search.encoder.training.data import (
    BitextSource,
    TrainingSplits,
    held_out_split,
    xsim_evaluator,
)
from mexma_search.encoder.training.export import export_encoder
from mexma_search.encoder.training.loop import TrainingResult, train
from mexma_search.index.vector_index import collection_name
from mexma_search.jobs.handler import JobCancelledError, JobError, JobHandler, JobInterruptedError
from mexma_search.jobs.train_ddp import train_in_processes
from mexma_search.jobs.train_progress import JobProgress
from mexma_search.store import (
    NewModelVersion,
    create_model_version,
    get_model_version,
    record_metrics,
    session_scope,
)

STAGE_READING = "reading bitext"
STAGE_BASELINE = "evaluating base"
STAGE_EXPORTING = "exporting"
# the metric the finish message quotes (mean of both directions, percent)
HEADLINE_METRIC = "xsim_margin_error"


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
        self.progress(stage=STAGE_READING)
        config, splits = job_training_inputs(self.settings, self.job_id, self.job.parameters)
        evaluate = xsim_evaluator(splits.held_out, batch_size=self.settings.encode_batch_size)
        encoder = SentenceEncoder.load(self.parameter("base_path"), device=self.settings.device)
        self.progress(
            stage=STAGE_BASELINE, message=f"base model on {len(splits.held_out)} held-out pairs"
        )
        before = evaluate(encoder)
        with session_scope(self.runtime.engine) as session:
            record_metrics(session, self.job_id, 0, before)
        processes = int(params.get("gpus", JOB_ONLY_DEFAULTS["gpus"]))
        if processes > 1:
            result, cancelled = train_in_processes(
                self.settings, config.output_dir, self.job_id, processes
            )
            assert result.model_dir is not None
            encoder = SentenceEncoder.load(result.model_dir, device=self.settings.device)
        else:
            progress = JobProgress(self.runtime, self.job_id)
            result = train(encoder, splits.train, config, evaluator=evaluate, callbacks=[progress])
            cancelled = progress.cancelled
        if result.status != "completed":
            # a shutting-down worker leaves the checkpoint: the job resumes at the next start
            raise JobCancelledError if cancelled else JobInterruptedError
        self.progress(stage=STAGE_EXPORTING, message="exporting the encoder", eta_seconds=0.0)
        export_encoder(encoder, self.model_dir, encoder.config)
        summary = self._summary(before, result, len(splits.held_out), params)
        self._register(encoder, summary)
        shutil.rmtree(config.output_dir, ignore_errors=True)
        self.finish(_finish_message(summary), summary)

    def _summary(
        self,
        before: Mapping[str, float],
        result: TrainingResult,
        held_out: int,
        params: Mapping[str, Any],
    ) -> dict[str, Any]:
        """The job's and the version's metrics: scores before and after, and how they came."""
        after = dict(result.metrics)
        validation = self.parameter("validation")
        return {
            "model_version": self.version,
            "path": str(self.model_dir),
            "base": self.parameter("base"),
            "before": dict(before),
            "after": after,
            # error before less error after, in percentage points: positive is better
            "improvement": {key: before[key] - after[key] for key in after if key in before},
            "held_out": held_out,
            "steps": result.steps,
            "train_seconds": result.train_seconds,
            "pairs_per_second": result.pairs_per_second,
            "final_losses": dict(result.losses),
            "bitext": self.parameter("filename"),
            "validation": {
                key: validation[key] for key in ("pairs_read", "pairs_kept", "pairs_dropped")
            },
            "params": dict(params),
        }

    def _register(self, encoder: SentenceEncoder, summary: Mapping[str, Any]) -> None:
        new = NewModelVersion(
            name=self.version,
            source=str(self.model_dir),
            path=str(self.model_dir),
            pooling=encoder.config.pooling,
            dimension=encoder.dimension,
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
