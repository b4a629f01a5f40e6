"""Trainer callbacks: progress, budgets and cancellation hook into the training loop here.

Subclass :class:`TrainerCallback` and override the events you need. To stop training, set
``control.should_stop = True`` or return ``True`` from an event: the trainer finishes the
current step, saves a checkpoint, exports the model and reports ``status='cancelled'``.
In multi-process training callbacks run on rank 0 only, and a stop is broadcast to all ranks.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tqdm import tqdm


@dataclass
class TrainerState:
    """Where training stands; the trainer updates it before every event.

    ``step`` counts optimiser steps done. ``losses`` are the last step's loss parts (``loss``,
    ``align``, ``mlm``, ``koleo``) averaged over its micro-batches and ranks. ``pairs_per_second``
    and ``eta_seconds`` count training time only (not evaluation or checkpointing).
    """

    total_steps: int
    step: int = 0
    epoch: int = 0
    pairs_seen: int = 0
    losses: dict[str, float] = field(default_factory=dict)
    lr: float = 0.0
    pairs_per_second: float = 0.0
    eta_seconds: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    best_metric: float | None = None
    best_step: int | None = None


@dataclass
class TrainerControl:
    """Set ``should_stop`` to end training cleanly after the current step."""

    should_stop: bool = False


class TrainerCallback:
    """Base class of training callbacks; every event does nothing by default."""

    def on_train_begin(self, state: TrainerState, control: TrainerControl) -> bool | None:
        """Called once before the first step (also when resuming)."""
        return None

    def on_step_end(self, state: TrainerState, control: TrainerControl) -> bool | None:
        """Called after every optimiser step."""
        return None

    def on_evaluate(
        self, state: TrainerState, metrics: Mapping[str, float], control: TrainerControl
    ) -> bool | None:
        """Called after each dev evaluation with its metrics."""
        return None

    def on_train_end(self, state: TrainerState, status: str) -> None:
        """Called once at the end; ``status`` is ``completed`` or ``cancelled``."""


class CallbackList:
    """Dispatches an event to several callbacks and folds their answers into ``control``."""

    def __init__(self, callbacks: Sequence[TrainerCallback]) -> None:
        self.callbacks = list(callbacks)
        self.control = TrainerControl()

    def fire(self, event: str, state: TrainerState, *args: Any) -> bool:
        """Run ``event`` on every callback; whether training should stop."""
        for callback in self.callbacks:
            if getattr(callback, event)(state, *args, self.control) is True:
                self.control.should_stop = True
        return self.control.should_stop

    def end(self, state: TrainerState, status: str) -> None:
        """Run ``on_train_end`` on every callback."""
        for callback in self.callbacks:
            callback.on_train_end(state, status)


class TimeBudget(TrainerCallback):
    """Stops training once ``seconds`` of wall-clock time have passed since it began."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started: float | None = None

    def on_train_begin(self, state: TrainerState, control: TrainerControl) -> None:
        self.started = time.monotonic()

    def on_step_end(self, state: TrainerState, control: TrainerControl) -> bool:
        return self.started is not None and time.monotonic() - self.started >= self.seconds


class ProgressBar(TrainerCallback):
    """A tqdm bar over optimiser steps showing the loss parts and the learning rate."""

    def __init__(self, **tqdm_kwargs: Any) -> None:
        self.tqdm_kwargs = tqdm_kwargs
        self.bar: tqdm | None = None

    def on_train_begin(self, state: TrainerState, control: TrainerControl) -> None:
        self.bar = tqdm(
            total=state.total_steps, initial=state.step, unit="step", **self.tqdm_kwargs
        )

    def on_step_end(self, state: TrainerState, control: TrainerControl) -> None:
        if self.bar is None:
            return
        self.bar.update(state.step - self.bar.n)
        postfix = {name: f"{value:.4f}" for name, value in state.losses.items()}
        postfix["lr"] = f"{state.lr:.2e}"
        postfix["pairs/s"] = f"{state.pairs_per_second:.1f}"
        self.bar.set_postfix(postfix, refresh=False)

    def on_evaluate(
        self, state: TrainerState, metrics: Mapping[str, float], control: TrainerControl
    ) -> None:
        if self.bar is not None:
            shown = ", ".join(f"{k}={v:.3f}" for k, v in metrics.items())
            self.bar.write(f"step {state.step}: {shown}")

    def on_train_end(self, state: TrainerState, status: str) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
