"""The parameters of a train job: which settings a caller may give, their defaults and checks.

A job's parameters are the options of
:meth:`~mexma_search.encoder.training.config.TrainingConfig.from_options` a caller may choose,
plus ``held_out`` (pairs kept aside for the before/after evaluation) and ``gpus``. The job
itself decides where the run writes, the device, resumption and the model's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mexma_search.app.settings import Settings
from mexma_search.encoder.evaluate import DEFAULT_K
from mexma_search.encoder.training.config import (
    TrainingConfig,
    option_defaults,
    option_hints,
    option_names,
)

HELD_OUT_MAX = 500
HELD_OUT_SHARE = 0.1
# Fine-tuning an already good sentence encoder (see docs/benchmarks.md, "Fine-tuning that keeps
# search"): no token-level gradient (the default model is a contrastively trained sentence
# encoder, not a masked LM like the paper's XLM-R, and the unmasking loss reaching its token
# states makes it worse; the CLI keeps the paper's objective), no unmasking loss at all (its
# head starts untrained, so in a short fine-tune its loss only reaches the sentence vectors as
# noise), contrastive alignment (it separates a translation from the batch's other sentences,
# which is what matching translations needs, where the MSE only pulls pairs together), and a
# distillation term strong enough to keep the sentence vectors near the base model's, so that
# aligning translations does not cost same-language search (the distillation MSE is of the
# order of 0.001 and the InfoNCE loss of 1, so at weight 1000 the two weigh about the same).
FINE_TUNING_LR = 1e-4
FINE_TUNING_DISTILL_WEIGHT = 1000.0
FINE_TUNING_DEFAULTS: dict[str, Any] = {
    "learning_rate": FINE_TUNING_LR,
    "token_gradient": False,
    "mlm_weight": 0.0,
    "alignment": "contrastive",
    "distill_weight": FINE_TUNING_DISTILL_WEIGHT,
}
# set by the job (eval_metric only picks the best export, which a job does not keep)
_NOT_CHOSEN = frozenset(
    {
        "output_dir",
        "device",
        "resume",
        "keep_best",
        "eval_metric",
        "model_name",
        "model_description",
    }
)
TRAINING_PARAMETERS = tuple(name for name in option_names() if name not in _NOT_CHOSEN)
# job parameters that are not training options, with their defaults: the held-out size (None:
# from the bitext's size), and the number of training processes (one per GPU, launched with
# torchrun when above 1)
JOB_ONLY_DEFAULTS: dict[str, Any] = {"held_out": None, "gpus": 1}
JOB_ONLY_PARAMETERS = tuple(JOB_ONLY_DEFAULTS)
JOB_PARAMETERS = (*TRAINING_PARAMETERS, *JOB_ONLY_PARAMETERS)
_HINTS = option_hints()
_NUMBERS: dict[object, type] = {int: int, int | None: int, float: float, float | None: float}


def job_defaults(settings: Settings) -> dict[str, Any]:
    """The defaults in which a job differs from a ``TrainingConfig``: the batch size of the
    settings and :data:`FINE_TUNING_DEFAULTS`."""
    return {"batch_size": settings.train_batch_size, **FINE_TUNING_DEFAULTS}


def parameter_defaults(settings: Settings) -> dict[str, Any]:
    """What a job uses for each parameter it is not given (the training form shows these)."""
    training = option_defaults()
    return {
        **{name: training[name] for name in TRAINING_PARAMETERS},
        **job_defaults(settings),
        **JOB_ONLY_DEFAULTS,
    }


def default_held_out(pairs_kept: int) -> int:
    """10 % of the usable pairs, at least the xsim minimum and at most 500."""
    return min(HELD_OUT_MAX, max(DEFAULT_K, round(pairs_kept * HELD_OUT_SHARE)))


def job_parameters(
    params: Mapping[str, Any], settings: Settings, pairs_kept: int
) -> dict[str, Any]:
    """Complete, typed and checked parameters of a job on ``pairs_kept`` usable pairs.

    Defaults: ``TrainingConfig``'s, except :func:`job_defaults` (the settings' batch size,
    learning rate 3e-5, no token-level gradient, distillation weight 50); ``held_out`` from
    :func:`default_held_out`.
    ValueError names an unknown or bad parameter, or a bitext too small for the held-out set
    and one step.
    """
    unknown = sorted(set(params) - set(JOB_PARAMETERS))
    if unknown:
        raise ValueError(
            f"unknown training parameter(s) {', '.join(unknown)}; "
            f"known: {', '.join(JOB_PARAMETERS)}"
        )
    chosen = {name: _coerce(name, value) for name, value in params.items()}
    if chosen.get("gpus", JOB_ONLY_DEFAULTS["gpus"]) < 1:
        raise ValueError(f"gpus must be at least 1, got {chosen['gpus']}")
    held_out = chosen.pop("held_out", None)
    merged = {
        **job_defaults(settings),
        **chosen,
        "held_out": default_held_out(pairs_kept) if held_out is None else held_out,
    }
    config = training_config(merged, Path(), settings, model_name="check")
    _check_sizes(merged["held_out"], pairs_kept, config.batch_size * config.grad_accumulation)
    return merged


def training_refusal(params: Mapping[str, Any], settings: Settings, pairs_kept: int) -> str | None:
    """Why a job with ``params`` cannot train on ``pairs_kept`` usable pairs (the rule of
    :func:`job_parameters`); None if it can."""
    if not pairs_kept:
        return "no usable pair in the bitext"
    try:
        job_parameters(params, settings, pairs_kept)
    except ValueError as exc:
        return str(exc)
    return None


def training_config(
    params: Mapping[str, Any], output_dir: Path, settings: Settings, *, model_name: str
) -> TrainingConfig:
    """The run of a job: its parameters, writing to ``output_dir``, resuming from its last
    checkpoint if there is one (a re-delivered job continues where it stopped)."""
    return TrainingConfig.from_options(
        output_dir=output_dir,
        device=settings.device,
        resume=True,
        keep_best=False,
        model_name=model_name,
        **{name: value for name, value in params.items() if name not in JOB_ONLY_PARAMETERS},
    )


def _check_sizes(held_out: int, pairs_kept: int, pairs_per_step: int) -> None:
    if held_out < DEFAULT_K:
        raise ValueError(f"held_out must be at least {DEFAULT_K} pairs, got {held_out}")
    if pairs_kept - held_out < pairs_per_step:
        raise ValueError(
            f"too few usable pairs: {pairs_kept} less {held_out} held out leave fewer than "
            f"the {pairs_per_step} pairs of one step (batch_size x grad_accumulation)"
        )


def _coerce(name: str, value: Any) -> Any:
    """``value`` as the type of parameter ``name`` (a form's 3.0 is the whole number 3)."""
    hint = int if name in JOB_ONLY_PARAMETERS else _HINTS[name]
    if hint is bool and not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    kind = _NUMBERS.get(hint)
    if value is None or kind is None:
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if kind is float:
        return number
    if not number.is_integer():
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return int(number)
