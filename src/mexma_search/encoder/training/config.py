"""Every setting of a MEXMA training run, with the paper's values as defaults."""

from __future__ import annotations

import typing
from dataclasses import MISSING, Field, dataclass, field, fields
from pathlib import Path
from typing import Any

from mexma_search.encoder.config import POOLING_MODES, EncoderConfig, Pooling
from mexma_search.encoder.training.objectives import ObjectiveConfig
from mexma_search.encoder.training.pair_stream import DEFAULT_SHUFFLE_BUFFER
from mexma_search.encoder.training.schedule import WarmupCosineSchedule

PRECISIONS = ("auto", "fp32", "bf16", "fp16")


@dataclass(frozen=True)
class TrainingConfig:
    """A training run. Defaults follow the paper's run (from XLM-R large, on NLLB bitext).

    Steps: ``max_steps`` optimiser steps if set (epochs then repeat as needed), else
    ``epochs`` full passes. One optimiser step takes ``grad_accumulation`` micro-batches of
    ``batch_size`` pairs per process. The learning rate warms up linearly over
    ``warmup_ratio`` of the steps from ``warmup_start_factor * learning_rate``, then follows a
    cosine to 0. When fine-tuning an already good encoder a lower rate (2e-5 .. 5e-5) is safer.

    ``freeze_embeddings=True`` keeps the token embedding matrix (which is also the head's tied
    vocabulary projection) fixed: with XLM-R's 250k-token vocabulary it holds 80 % of a small
    model's weights, so freezing it saves their optimiser state and gradient and a good part
    of a CPU step; the head's vocabulary bias still trains.

    ``objective`` holds the loss settings (its fields are also flat options of
    :meth:`from_options`). ``pooling=None`` keeps the base model's pooling. ``prompt`` is the
    model's prefix put on both sides (``passage``, as in evaluation; models without prefixes
    are unaffected).
    ``head_layers``/``head_dropout`` override the head's defaults (see
    :meth:`.head.HeadConfig.for_encoder`). ``checkpoint_every`` counts optimiser steps;
    a final checkpoint is also written when training ends or is cancelled (0: no checkpoints
    at all). ``eval_every`` counts optimiser steps too (0: only at the end). ``resume=True``
    continues from the newest checkpoint in ``output_dir/checkpoints`` (or starts afresh when
    there is none); a path continues from that checkpoint.
    """

    output_dir: Path
    epochs: int = 3
    max_steps: int | None = None
    batch_size: int = 150
    grad_accumulation: int = 2
    learning_rate: float = 1e-4
    weight_decay: float = 0.0
    warmup_ratio: float = 0.3
    warmup_start_factor: float = 0.1
    grad_clip: float = 1.2
    max_length: int = 200
    mask_ratio: float = 0.4
    pooling: Pooling | None = None
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    freeze_embeddings: bool = False
    head_layers: int | None = None
    head_dropout: float | None = None
    prompt: str | None = "passage"
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"
    shuffle_buffer: int = DEFAULT_SHUFFLE_BUFFER
    checkpoint_every: int = 1000
    keep_checkpoints: int = 2
    eval_every: int = 0
    eval_metric: str = "xsim_margin_error"
    keep_best: bool = True
    resume: bool | Path = False
    model_name: str = ""
    model_description: str = ""

    def __post_init__(self) -> None:
        positive = ("epochs", "batch_size", "grad_accumulation", "max_length", "keep_checkpoints")
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError(f"max_steps must be at least 1, got {self.max_steps}")
        if self.learning_rate <= 0 or self.grad_clip <= 0:
            raise ValueError("learning_rate and grad_clip must be positive")
        if self.pooling is not None and self.pooling not in POOLING_MODES:
            raise ValueError(f"pooling must be one of {POOLING_MODES} or None")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")

    @classmethod
    def from_options(cls, **options: Any) -> TrainingConfig:
        """A run from flat options (:func:`option_names`), as the CLI and train jobs give
        them: the loss settings (``alignment``, ``koleo_weight``, ...) go to ``objective``."""
        loss = {name: options.pop(name) for name in OBJECTIVE_OPTIONS if name in options}
        return cls(**options, objective=ObjectiveConfig(**loss))

    def schedule(self, total_steps: int) -> WarmupCosineSchedule:
        """The learning-rate schedule over ``total_steps`` optimiser steps."""
        return WarmupCosineSchedule(
            self.learning_rate, total_steps, self.warmup_ratio, self.warmup_start_factor
        )

    def export_config(self, base: EncoderConfig) -> EncoderConfig:
        """The trained model's config: the base's, with this run's pooling, name and base."""
        return base.with_updates(
            pooling=self.pooling or base.pooling,
            name=self.model_name or f"{base.name}-mexma",
            description=self.model_description
            or f"MEXMA fine-tune of {base.name} ({self.objective.alignment} alignment)",
            base=base.name,
        )


OBJECTIVE_OPTIONS = tuple(f.name for f in fields(ObjectiveConfig))


def _option_fields() -> list[Field[Any]]:
    """TrainingConfig's fields with ``objective`` replaced by ObjectiveConfig's, in order."""
    flat: list[Field[Any]] = []
    for each in fields(TrainingConfig):
        flat.extend(fields(ObjectiveConfig) if each.name == "objective" else [each])
    return flat


def option_names() -> tuple[str, ...]:
    """Every option :meth:`TrainingConfig.from_options` takes."""
    return tuple(f.name for f in _option_fields())


def option_hints() -> dict[str, Any]:
    """The type of every option."""
    hints = {**typing.get_type_hints(TrainingConfig), **typing.get_type_hints(ObjectiveConfig)}
    return {name: hints[name] for name in option_names()}


def option_defaults() -> dict[str, Any]:
    """The default of every option that has one."""
    return {f.name: f.default for f in _option_fields() if f.default is not MISSING}
