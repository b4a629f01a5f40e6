"""The training loop: learning, exact resume, schedule, cancellation, best model, precision."""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import torch

from mexma_search.encoder.evaluate import xsim_errors
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.training.callbacks import TrainerCallback, TrainerControl, TrainerState
from mexma_search.encoder.training.checkpoint import MODEL_FILE, OPTIMIZER_FILE, STATE_FILE
from mexma_search.encoder.training.config import TrainingConfig, option_defaults, option_names
from mexma_search.encoder.training.loop import Trainer, train, training_autocast_dtype
from mexma_search.encoder.training.objectives import ObjectiveConfig
from mexma_search.encoder.training.pair_stream import Pair

ENGLISH_WORDS = (
    "river flows through old town under seven bridges bakery opens six sells fresh bread "
    "every morning next train coast leaves from platform four noon"
)
SPANISH_WORDS = (
    "río atraviesa casco antiguo pasa bajo siete puentes panadería abre seis vende pan "
    "fresco cada mañana próximo tren costa sale del andén cuatro mediodía"
)
SMALL_PAIRS = [(f"The river {n} flows", f"El río {n} atraviesa") for n in range(40)]


class Recorder(TrainerCallback):
    """Keeps every step's losses and learning rate; stops after ``stop_at`` steps if given."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.stop_at = stop_at
        self.losses: dict[int, dict[str, float]] = {}
        self.lrs: list[float] = []
        self.ended: str | None = None

    def on_step_end(self, state: TrainerState, control: TrainerControl) -> None:
        self.losses[state.step] = dict(state.losses)
        self.lrs.append(state.lr)
        if state.step == self.stop_at:
            control.should_stop = True

    def on_train_end(self, state: TrainerState, status: str) -> None:
        self.ended = status


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def load(model_dir: Path) -> SentenceEncoder:
    return SentenceEncoder.load(model_dir, device="cpu")


def config(tmp_path: Path, **changes: Any) -> TrainingConfig:
    settings: dict[str, Any] = {
        "output_dir": tmp_path / "run",
        "batch_size": 4,
        "grad_accumulation": 2,
        "max_steps": 4,
        "learning_rate": 1e-3,
        "max_length": 24,
        "device": "cpu",
        "checkpoint_every": 100,
        "head_dropout": 0.1,
    }
    settings.update(changes)
    return TrainingConfig.from_options(**settings)


def made_up_bitext(n: int, seed: int) -> list[Pair]:
    """Word-for-word 'translations': each English word maps to one Spanish word.

    The words come from the toy tokenizer's training sentences, so they tokenise into few pieces.
    """
    mapping = dict(zip(ENGLISH_WORDS.split(), SPANISH_WORDS.split(), strict=True))
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        words = rng.choices(list(mapping), k=rng.randint(3, 5))
        pairs.append((" ".join(words), " ".join(mapping[w] for w in words)))
    return pairs


def xsim_cos_error(encoder: SentenceEncoder, pairs: list[Pair]) -> float:
    result = xsim_errors(
        encoder.encode_array([s for s, _ in pairs]), encoder.encode_array([t for _, t in pairs])
    )
    return (result.cos_src2trg + result.cos_trg2src) / 2


def test_a_short_run_lowers_the_loss_and_the_xsim_error(
    tiny_cls_model_dir: Path, tmp_path: Path
) -> None:
    encoder = load(tiny_cls_model_dir)
    train_pairs, test_pairs = made_up_bitext(1024, seed=0), made_up_bitext(64, seed=1)
    before = xsim_cos_error(encoder, test_pairs)
    recorder = Recorder()
    settings = config(
        tmp_path,
        batch_size=16,
        grad_accumulation=1,
        max_steps=150,
        learning_rate=3e-3,
        checkpoint_every=0,
    )
    result = train(encoder, lambda: train_pairs, settings, callbacks=[recorder])
    after = xsim_cos_error(encoder, test_pairs)
    first = sum(recorder.losses[s]["loss"] for s in range(1, 11)) / 10
    last = sum(recorder.losses[s]["loss"] for s in range(141, 151)) / 10
    assert result.status == "completed"
    assert last < first - 0.5
    assert before > 80
    assert after < before - 25
    exported = load(result.model_dir)  # type: ignore[arg-type]
    assert xsim_cos_error(exported, test_pairs) == pytest.approx(after)


def test_resuming_reproduces_the_next_steps_exactly(
    tiny_cls_model_dir: Path, tmp_path: Path
) -> None:
    uninterrupted = Recorder()
    train(
        load(tiny_cls_model_dir),
        lambda: SMALL_PAIRS,
        config(tmp_path / "a"),
        callbacks=[uninterrupted],
    )

    stopped = Recorder(stop_at=2)
    first = train(
        load(tiny_cls_model_dir), lambda: SMALL_PAIRS, config(tmp_path / "b"), callbacks=[stopped]
    )
    assert first.status == "cancelled"
    assert first.checkpoint_dir is not None and first.checkpoint_dir.name == "step-00000002"

    resumed = Recorder()
    second = train(
        load(tiny_cls_model_dir),
        lambda: SMALL_PAIRS,
        config(tmp_path / "b", resume=True),
        callbacks=[resumed],
    )
    assert second.status == "completed"
    assert sorted(resumed.losses) == [3, 4]
    assert resumed.losses[3] == uninterrupted.losses[3]
    assert resumed.losses[4] == uninterrupted.losses[4]
    assert resumed.lrs == uninterrupted.lrs[2:]


def test_checkpoints_hold_no_pickles_and_refuse_a_changed_run(
    tiny_cls_model_dir: Path, tmp_path: Path
) -> None:
    result = train(load(tiny_cls_model_dir), lambda: SMALL_PAIRS, config(tmp_path, max_steps=2))
    assert result.checkpoint_dir is not None
    assert sorted(p.name for p in result.checkpoint_dir.iterdir()) == sorted(
        [MODEL_FILE, OPTIMIZER_FILE, STATE_FILE]
    )
    with pytest.raises(ValueError, match="batch_size"):
        Trainer(
            load(tiny_cls_model_dir),
            lambda: SMALL_PAIRS,
            config(tmp_path, max_steps=2, batch_size=5, resume=result.checkpoint_dir),
        )


def test_schedule_counts_optimiser_steps_not_micro_batches(
    tiny_cls_model_dir: Path, tmp_path: Path
) -> None:
    recorder = Recorder()
    settings = config(tmp_path, grad_accumulation=3, max_steps=5, warmup_ratio=0.4)
    trainer = Trainer(load(tiny_cls_model_dir), lambda: SMALL_PAIRS, settings, callbacks=[recorder])
    result = trainer.run()
    schedule = settings.schedule(5)
    assert recorder.lrs == pytest.approx([schedule.lr(step) for step in range(5)])
    assert recorder.lrs[0] == pytest.approx(1e-4)
    assert trainer.micro_batches == 15
    assert trainer.state.pairs_seen == 15 * 4
    assert result.steps == 5


def test_epochs_set_the_number_of_steps(tiny_cls_model_dir: Path, tmp_path: Path) -> None:
    # 40 pairs -> 10 batches of 4 per epoch -> 5 optimiser steps of 2 micro-batches.
    trainer = Trainer(
        load(tiny_cls_model_dir), lambda: SMALL_PAIRS, config(tmp_path, max_steps=None, epochs=2)
    )
    assert trainer.state.total_steps == 10


def test_a_callback_cancels_cleanly(tiny_cls_model_dir: Path, tmp_path: Path) -> None:
    class StopByReturning(TrainerCallback):
        def on_step_end(self, state: TrainerState, control: TrainerControl) -> bool:
            return state.step == 3

    recorder = Recorder()
    result = train(
        load(tiny_cls_model_dir),
        lambda: SMALL_PAIRS,
        config(tmp_path, max_steps=10),
        callbacks=[StopByReturning(), recorder],
    )
    assert result.status == "cancelled"
    assert result.steps == 3
    assert recorder.ended == "cancelled"
    assert result.checkpoint_dir == tmp_path / "run" / "checkpoints" / "step-00000003"
    assert (result.model_dir / "model.safetensors").is_file()  # type: ignore[operator]


def test_dev_evaluation_keeps_the_best_model(tiny_cls_model_dir: Path, tmp_path: Path) -> None:
    scores = iter([5.0, 2.0, 3.0, 4.0])
    seen: list[int] = []

    def evaluator(encoder: SentenceEncoder) -> Mapping[str, float]:
        assert not encoder.transformer.training
        return {"xsim_margin_error": next(scores)}

    class Watch(TrainerCallback):
        def on_evaluate(
            self, state: TrainerState, metrics: Mapping[str, float], control: TrainerControl
        ) -> None:
            seen.append(state.step)

    result = train(
        load(tiny_cls_model_dir),
        lambda: SMALL_PAIRS,
        config(tmp_path, max_steps=4, eval_every=1),
        evaluator=evaluator,
        callbacks=[Watch()],
    )
    assert seen == [1, 2, 3, 4]
    assert (result.best_step, result.best_metric) == (2, 2.0)
    assert result.best_dir is not None
    assert load(result.best_dir).config.name == "tiny-cls-mexma"


def test_precision_choice() -> None:
    cpu = torch.device("cpu")
    assert training_autocast_dtype(cpu, "auto") is None
    assert training_autocast_dtype(cpu, "fp32") is None
    assert training_autocast_dtype(cpu, "bf16") is torch.bfloat16
    assert training_autocast_dtype(cpu, "fp16") is torch.float16
    with pytest.raises(ValueError, match="int8"):
        training_autocast_dtype(cpu, "int8")


@pytest.mark.parametrize(("precision", "scaled"), [("bf16", False), ("fp16", True)])
def test_mixed_precision_paths_run(
    tiny_cls_model_dir: Path, tmp_path: Path, precision: str, scaled: bool
) -> None:
    trainer = Trainer(
        load(tiny_cls_model_dir),
        lambda: SMALL_PAIRS,
        config(tmp_path, max_steps=2, precision=precision),
    )
    assert trainer.scaler.is_enabled() is scaled
    result = trainer.run()
    assert result.steps == 2
    assert torch.isfinite(torch.tensor(result.losses["loss"]))


def test_frozen_embeddings_stay_fixed_while_the_rest_trains(
    tiny_cls_model_dir: Path, tmp_path: Path
) -> None:
    encoder = load(tiny_cls_model_dir)
    embeddings = encoder.transformer.get_input_embeddings().weight.detach().clone()
    layer = encoder.transformer.encoder.layer[0].attention.self.query.weight.detach().clone()
    trainer = Trainer(
        encoder, lambda: SMALL_PAIRS, config(tmp_path, max_steps=2, freeze_embeddings=True)
    )
    trainer.run()
    assert all(id(p) != id(encoder.transformer.get_input_embeddings().weight)
               for group in trainer.optimizer.param_groups for p in group["params"])  # fmt: skip
    assert torch.equal(encoder.transformer.get_input_embeddings().weight, embeddings)
    assert not torch.equal(encoder.transformer.encoder.layer[0].attention.self.query.weight, layer)


def test_flat_options_set_the_loss_settings_of_the_objective(tmp_path: Path) -> None:
    run = TrainingConfig.from_options(
        output_dir=tmp_path, epochs=2, alignment="contrastive", koleo_weight=0.1
    )
    assert run.epochs == 2
    assert run.objective == ObjectiveConfig(alignment="contrastive", koleo_weight=0.1)
    defaults = TrainingConfig.from_options(output_dir=tmp_path, **option_defaults())
    assert defaults == TrainingConfig(output_dir=tmp_path)
    assert set(option_names()) >= {"temperature", "token_gradient", "epochs"}
    with pytest.raises(ValueError, match="alignment must be one of"):
        TrainingConfig.from_options(output_dir=tmp_path, alignment="cosine")
