"""A trainer callback that reports a training run on its job row and stops it on request.

Every optimiser step's values (loss parts, learning rate, pairs/s) and every dev evaluation
become ``job_metrics`` rows; progress (steps done of total, a message, the ETA) goes to the
job. Database writes are batched: at most one transaction every ``flush_seconds``, plus one
after each evaluation and at the end. Each write also reads the job's cancellation flag, so
a cancelled job (or a worker shutting down) stops within about ``flush_seconds``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from mexma_search.app.formatting import format_duration
from mexma_search.app.runtime import Runtime
from mexma_search.encoder.training.callbacks import TrainerCallback, TrainerControl, TrainerState
from mexma_search.store import record_metrics, session_scope, update_progress

STAGE_TRAINING = "training"
FLUSH_SECONDS = 1.0


class JobProgress(TrainerCallback):
    """Writes a run's metrics and progress to job ``job_id``; stops when it is cancelled.

    After training, :attr:`cancelled` says whether a cancellation (rather than the worker
    shutting down) stopped it.
    """

    def __init__(
        self, runtime: Runtime, job_id: int, *, flush_seconds: float = FLUSH_SECONDS
    ) -> None:
        self.runtime = runtime
        self.job_id = job_id
        self.flush_seconds = flush_seconds
        self.cancelled = False
        self._pending: dict[int, dict[str, float]] = {}
        self._flushed_at: float | None = None

    def on_train_begin(self, state: TrainerState, control: TrainerControl) -> bool:
        return self._flush(state)

    def on_step_end(self, state: TrainerState, control: TrainerControl) -> bool:
        self._pending[state.step] = {
            **state.losses,
            "lr": state.lr,
            "pairs_per_second": state.pairs_per_second,
        }
        assert self._flushed_at is not None
        if time.monotonic() - self._flushed_at < self.flush_seconds:
            return False
        return self._flush(state)

    def on_evaluate(
        self, state: TrainerState, metrics: Mapping[str, float], control: TrainerControl
    ) -> bool:
        self._pending.setdefault(state.step, {}).update(metrics)
        return self._flush(state)

    def on_train_end(self, state: TrainerState, status: str) -> None:
        self._flush(state)

    def _flush(self, state: TrainerState) -> bool:
        """Write the pending rows and the progress; whether training should stop."""
        with session_scope(self.runtime.engine) as session:
            for step, values in sorted(self._pending.items()):
                record_metrics(session, self.job_id, step, values)
            self.cancelled = update_progress(
                session,
                self.job_id,
                stage=STAGE_TRAINING,
                done=state.step,
                total=state.total_steps,
                message=progress_message(state),
                eta_seconds=state.eta_seconds,
            )
        self._pending.clear()
        self._flushed_at = time.monotonic()
        return self.cancelled or self.runtime.stopping.is_set()


def progress_message(state: TrainerState) -> str:
    """``step 40/200, loss 0.8123, 95.2 pairs/s, 1 min 20 s left``."""
    parts = [f"step {state.step}/{state.total_steps}"]
    if "loss" in state.losses:
        parts.append(f"loss {state.losses['loss']:.4f}")
    if state.pairs_per_second:
        parts.append(f"{state.pairs_per_second:.1f} pairs/s")
    if state.eta_seconds is not None:
        parts.append(f"{format_duration(state.eta_seconds)} left")
    return ", ".join(parts)
