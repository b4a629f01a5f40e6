"""MEXMA training: the loop around :class:`~.objectives.MexmaObjective`.

``train(encoder, pairs, TrainingConfig(...))`` fine-tunes ``encoder`` in place on translation
pairs and exports it (without the head) to ``output_dir/model``. ``pairs`` is a function that
returns a fresh iterable of ``(source, target)`` strings each time it is called (once per
epoch), so the data is streamed, never held in memory.

Every random draw (masking of each side, dropout) is seeded from ``(seed, rank, micro-batch
index)`` and the data order from ``(seed, epoch)``; with the model, optimiser and scaler
restored from a checkpoint, a resumed run therefore computes exactly the losses the
uninterrupted run would have. The learning-rate schedule counts optimiser steps.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import torch
from torch.nn.parallel import DistributedDataParallel

from mexma_search.encoder.device import autocast, autocast_dtype, resolve_device
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.training.batching import PairCollator
from mexma_search.encoder.training.callbacks import CallbackList, TrainerCallback, TrainerState
from mexma_search.encoder.training.checkpoint import (
    checkpoint_name,
    list_checkpoints,
    load_checkpoint,
    prune_checkpoints,
)
from mexma_search.encoder.training.checkpoint import save_checkpoint as write_checkpoint
from mexma_search.encoder.training.config import TrainingConfig
from mexma_search.encoder.training.distributed import DistributedContext
from mexma_search.encoder.training.export import export_encoder
from mexma_search.encoder.training.head import HeadConfig
from mexma_search.encoder.training.masking import TokenMasker
from mexma_search.encoder.training.objectives import MexmaObjective
from mexma_search.encoder.training.pair_stream import Pair, PairSource, PairStream
from mexma_search.encoder.training.seeding import derive_seed

logger = logging.getLogger(__name__)

Evaluator = Callable[[SentenceEncoder], Mapping[str, float]]
# Changing any of these between a checkpoint and its resumption changes which pairs or
# seeds a step sees, so resuming would not continue the same run.
RESUME_MUST_MATCH = (
    "batch_size",
    "grad_accumulation",
    "seed",
    "shuffle_buffer",
    "freeze_embeddings",
)


@dataclass(frozen=True)
class TrainingResult:
    """How training ended and where its outputs are (paths are ``None`` on ranks other than 0)."""

    status: str
    steps: int
    total_steps: int
    losses: dict[str, float]
    metrics: dict[str, float]
    best_metric: float | None
    best_step: int | None
    model_dir: Path | None
    best_dir: Path | None
    checkpoint_dir: Path | None
    pairs_per_second: float
    train_seconds: float


def training_autocast_dtype(device: torch.device, precision: str) -> torch.dtype | None:
    """The autocast dtype for training: ``auto`` is bf16 on GPUs that have it, fp16 on other
    GPUs, fp32 on CPU. fp16 also gets a gradient scaler."""
    if precision == "int8":
        raise ValueError("int8 is an inference precision; train with auto, fp32, bf16 or fp16")
    return autocast_dtype(device, precision)


def train(
    encoder: SentenceEncoder,
    pairs: PairSource,
    config: TrainingConfig,
    *,
    evaluator: Evaluator | None = None,
    callbacks: Sequence[TrainerCallback] = (),
) -> TrainingResult:
    """Fine-tune ``encoder`` with MEXMA on ``pairs``; see :class:`TrainingConfig`.

    ``evaluator(encoder)`` returns dev metrics (``config.eval_metric`` among them, lower is
    better); it runs every ``eval_every`` steps and at the end, and the best model is exported
    to ``output_dir/best``.
    """
    trainer = Trainer(encoder, pairs, config, evaluator=evaluator, callbacks=callbacks)
    try:
        return trainer.run()
    finally:
        trainer.close()


class Trainer:
    """One training run; build it and call :meth:`run` (or use :func:`train`)."""

    def __init__(
        self,
        encoder: SentenceEncoder,
        pairs: PairSource,
        config: TrainingConfig,
        *,
        evaluator: Evaluator | None = None,
        callbacks: Sequence[TrainerCallback] = (),
    ) -> None:
        self.config = config
        self.dist = DistributedContext.from_env()
        self.device = self.dist.device_for(resolve_device(config.device))
        self._joined_process_group = self.dist.setup(self.device)
        self.encoder = encoder
        encoder.transformer.to(self.device)
        encoder.device = self.device
        # Evaluation during training must pool as training does.
        encoder.config = config.export_config(encoder.config)
        torch.manual_seed(config.seed)
        head_config = HeadConfig.for_encoder(
            encoder.transformer.config, num_layers=config.head_layers, dropout=config.head_dropout
        )
        self.objective = MexmaObjective(
            encoder.transformer, config.objective, head_config, pooling=encoder.config.pooling
        ).to(self.device)
        # Frozen before DDP wraps the objective: DDP waits for a gradient of every parameter
        # that requires one when it is built.
        encoder.transformer.get_input_embeddings().weight.requires_grad_(
            not config.freeze_embeddings
        )
        self.model: torch.nn.Module = self.objective
        if self.dist.enabled:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.model = DistributedDataParallel(self.objective, device_ids=ids)
        self.optimizer = torch.optim.AdamW(
            [p for p in self.objective.parameters() if p.requires_grad],
            lr=config.learning_rate,
            weight_decay=config.weight_decay,
        )
        self.dtype = training_autocast_dtype(self.device, config.precision)
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.dtype == torch.float16)
        self.masker = TokenMasker.for_tokenizer(encoder.tokenizer, ratio=config.mask_ratio)
        self.collator = PairCollator(
            encoder.tokenizer,
            self.masker,
            max_length=min(config.max_length, encoder.config.max_length),
            prefix=encoder.config.prefix_for(config.prompt),
        )
        self.stream = PairStream(
            pairs,
            batch_size=config.batch_size,
            seed=config.seed,
            shuffle_buffer=config.shuffle_buffer,
            rank=self.dist.rank,
            world_size=self.dist.world_size,
        )
        self.state = TrainerState(total_steps=config.max_steps or self._steps_from_epochs())
        self.schedule = config.schedule(self.state.total_steps)
        self.callbacks = CallbackList(callbacks if self.dist.is_main else ())
        self.evaluator = evaluator
        self.position = (0, 0)  # (epoch, batches of it consumed)
        self.micro_batches = 0
        self.train_seconds = 0.0
        self.last_checkpoint: Path | None = None
        self.evaluated_at: int | None = None
        if config.resume:
            self._resume(config.resume)

    @property
    def checkpoints_dir(self) -> Path:
        """Where checkpoints are written."""
        return self.config.output_dir / "checkpoints"

    def close(self) -> None:
        """Release the data-parallel wrapper, then leave the process group if this trainer
        joined it (torchrun runs)."""
        if isinstance(self.model, DistributedDataParallel):
            # The wrapper holds the process group and sits in reference cycles: left alone, it
            # releases the group after the trainer (or the garbage collector) drops it, once
            # the process has left the group and the other ranks may have exited.
            self.model = self.objective
            gc.collect()
        if self._joined_process_group:
            self.dist.teardown()
            self._joined_process_group = False

    def run(self) -> TrainingResult:
        """Train until ``total_steps`` or a callback stops it; then checkpoint and export."""
        self.objective.train()
        stop = self._fire("on_train_begin")
        steps_at_start = self.state.step
        groups = self._micro_batch_groups()
        while self.state.step < self.state.total_steps and not stop:
            started = time.perf_counter()
            losses = self._optimizer_step(next(groups))
            self.train_seconds += time.perf_counter() - started
            self._record(losses, steps_at_start)
            stop = self._fire("on_step_end")
            if self._due(self.config.eval_every):
                stop = self._evaluate() or stop
            if self._due(self.config.checkpoint_every):
                self._save_checkpoint()
        status = "cancelled" if self.state.step < self.state.total_steps else "completed"
        return self._finish(status)

    def _steps_from_epochs(self) -> int:
        per_epoch = self.stream.batches_per_epoch()
        total = self.config.epochs * per_epoch // self.config.grad_accumulation
        if total < 1:
            raise ValueError(
                f"too few pairs: {per_epoch} batch(es) of {self.config.batch_size} per epoch "
                f"make no optimiser step of {self.config.grad_accumulation} micro-batch(es)"
            )
        return total

    def _micro_batch_groups(self) -> Iterator[list[list[Pair]]]:
        """Groups of ``grad_accumulation`` raw batches, one per optimiser step, across epochs."""
        epoch, consumed = self.position
        group: list[list[Pair]] = []
        while True:
            self.state.epoch = epoch
            for raw in self.stream.epoch(epoch, skip=consumed):
                consumed += 1
                group.append(raw)
                if len(group) == self.config.grad_accumulation:
                    self.position = (epoch, consumed)
                    yield group
                    group = []
            if consumed == 0:
                raise ValueError(f"epoch {epoch} has no full batch of {self.config.batch_size}")
            epoch, consumed = epoch + 1, 0

    def _optimizer_step(self, group: list[list[Pair]]) -> dict[str, float]:
        totals: dict[str, float] = {}
        for index, raw in enumerate(group):
            seed = derive_seed(self.config.seed, self.dist.rank, self.micro_batches)
            torch.manual_seed(seed)
            self.masker.reseed(seed)
            batch = self.collator(raw).to(self.device)
            last = index == len(group) - 1
            with self._gradient_sync(last):
                with autocast(self.device, self.dtype):
                    parts = self.model(batch)
                self.scaler.scale(parts.total / len(group)).backward()
            for name, value in parts.as_floats().items():
                totals[name] = totals.get(name, 0.0) + value / len(group)
            self.micro_batches += 1
            self.state.pairs_seen += len(batch) * self.dist.world_size
        self.state.lr = self.schedule.apply(self.optimizer, self.state.step)
        self.scaler.unscale_(self.optimizer)
        torch.nn.utils.clip_grad_norm_(self.objective.parameters(), self.config.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)
        self.state.step += 1
        return self.dist.mean(totals, self.device)

    def _gradient_sync(self, sync: bool) -> contextlib.AbstractContextManager[None]:
        """DDP's ``no_sync`` for all but the last micro-batch of an optimiser step."""
        if sync or not isinstance(self.model, DistributedDataParallel):
            return contextlib.nullcontext()
        return self.model.no_sync()

    def _record(self, losses: dict[str, float], steps_at_start: int) -> None:
        state = self.state
        state.losses = losses
        done = state.step - steps_at_start
        pairs_per_step = self.config.batch_size * self.config.grad_accumulation
        pairs = done * pairs_per_step * self.dist.world_size
        state.pairs_per_second = pairs / self.train_seconds if self.train_seconds else 0.0
        state.eta_seconds = (state.total_steps - state.step) * self.train_seconds / done

    def _due(self, every: int) -> bool:
        return every > 0 and self.state.step % every == 0

    def _fire(self, event: str, *args: object) -> bool:
        stop = self.callbacks.fire(event, self.state, *args) if self.dist.is_main else False
        return self.dist.any(stop, self.device)

    def _evaluate(self) -> bool:
        """Run the dev evaluation on rank 0 and export a new best; whether to stop."""
        if self.evaluator is None or self.evaluated_at == self.state.step:
            return False
        self.evaluated_at = self.state.step
        stop = False
        if self.dist.is_main:
            self.objective.eval()
            metrics = dict(self.evaluator(self.encoder))
            self.objective.train()
            self._track_best(metrics)
            stop = self.callbacks.fire("on_evaluate", self.state, metrics)
        self.dist.barrier()
        return self.dist.any(stop, self.device)

    def _track_best(self, metrics: dict[str, float]) -> None:
        state = self.state
        state.metrics = metrics
        key = self.config.eval_metric
        if key not in metrics:
            raise KeyError(f"the evaluator returned no {key!r} (got {sorted(metrics)})")
        if state.best_metric is None or metrics[key] < state.best_metric:
            state.best_metric, state.best_step = metrics[key], state.step
            if self.config.keep_best:
                export_encoder(self.encoder, self.config.output_dir / "best", self.encoder.config)

    def _save_checkpoint(self) -> None:
        if self.last_checkpoint is not None and self.last_checkpoint.name == checkpoint_name(
            self.state.step
        ):
            return
        directory = self.checkpoints_dir / checkpoint_name(self.state.step)
        if self.dist.is_main:
            write_checkpoint(
                directory,
                model=self.objective,
                optimizer=self.optimizer,
                scaler=self.scaler,
                trainer=self._trainer_state(),
                config=asdict(self.config),
            )
            prune_checkpoints(self.checkpoints_dir, self.config.keep_checkpoints)
        self.last_checkpoint = directory
        self.dist.barrier()

    def _trainer_state(self) -> dict[str, object]:
        state = self.state
        return {
            "step": state.step,
            "total_steps": state.total_steps,
            "epoch": self.position[0],
            "batches_in_epoch": self.position[1],
            "micro_batches": self.micro_batches,
            "pairs_seen": state.pairs_seen,
            "best_metric": state.best_metric,
            "best_step": state.best_step,
            "world_size": self.dist.world_size,
        }

    def _resume(self, resume: Literal[True] | Path) -> None:
        if resume is True:
            found = list_checkpoints(self.checkpoints_dir)
            if not found:
                logger.info("no checkpoint in %s: starting from scratch", self.checkpoints_dir)
                return
            directory = found[-1]
        else:
            directory = Path(resume)
        saved = load_checkpoint(
            directory, model=self.objective, optimizer=self.optimizer, scaler=self.scaler
        )
        self._check_resumable(saved, directory)
        trainer = saved["trainer"]
        self.position = (trainer["epoch"], trainer["batches_in_epoch"])
        self.micro_batches = trainer["micro_batches"]
        self.state.step = trainer["step"]
        self.state.pairs_seen = trainer["pairs_seen"]
        self.state.best_metric = trainer["best_metric"]
        self.state.best_step = trainer["best_step"]
        self.last_checkpoint = directory
        logger.info("resumed from %s at step %d", directory, self.state.step)

    def _check_resumable(self, saved: dict, directory: Path) -> None:
        old = saved["config"]
        changed = [k for k in RESUME_MUST_MATCH if old.get(k) != getattr(self.config, k)]
        trainer = saved["trainer"]
        if trainer["world_size"] != self.dist.world_size:
            changed.append("world size")
        if trainer["total_steps"] != self.state.total_steps:
            changed.append("total steps (epochs, max_steps or data)")
        if changed:
            raise ValueError(f"cannot resume from {directory}: changed {', '.join(changed)}")

    def _finish(self, status: str) -> TrainingResult:
        self._evaluate()
        if self.config.checkpoint_every > 0:
            self._save_checkpoint()
        model_dir = None
        if self.dist.is_main:
            model_dir = export_encoder(
                self.encoder, self.config.output_dir / "model", self.encoder.config
            )
            self.callbacks.end(self.state, status)
        self.dist.barrier()
        self.objective.eval()
        best_dir = self.config.output_dir / "best"
        state = self.state
        return TrainingResult(
            status=status,
            steps=state.step,
            total_steps=state.total_steps,
            losses=state.losses,
            metrics=state.metrics,
            best_metric=state.best_metric,
            best_step=state.best_step,
            model_dir=model_dir,
            best_dir=best_dir if self.dist.is_main and best_dir.is_dir() else None,
            checkpoint_dir=self.last_checkpoint,
            pairs_per_second=state.pairs_per_second,
            train_seconds=self.train_seconds,
        )
