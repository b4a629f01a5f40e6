"""The distillation term: 0 before the weights move, growing as they move away from the base."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.training.batching import PairBatch, PairCollator
from mexma_search.encoder.training.masking import TokenMasker
from mexma_search.encoder.training.objectives import LossParts, MexmaObjective, ObjectiveConfig

ENGLISH = ["The bakery opens at six.", "The next train leaves at noon.", "The river is wide."]
SPANISH = ["La panadería abre a las seis.", "El próximo tren sale a mediodía.", "El río es ancho."]


@pytest.fixture
def encoder(tiny_mean_model_dir: Path) -> SentenceEncoder:
    """A fresh copy per test: the tests move its weights."""
    torch.set_num_threads(1)
    return SentenceEncoder.load(tiny_mean_model_dir, device="cpu")


def batch_for(encoder: SentenceEncoder) -> PairBatch:
    collate = PairCollator(
        encoder.tokenizer, TokenMasker.for_tokenizer(encoder.tokenizer, seed=0), max_length=32
    )
    return collate(list(zip(ENGLISH, SPANISH, strict=True)))


def objective_for(encoder: SentenceEncoder, **changes: float) -> MexmaObjective:
    torch.manual_seed(0)
    config = ObjectiveConfig(token_gradient=False, **changes)  # type: ignore[arg-type]
    return MexmaObjective(encoder.transformer, config, pooling="mean").eval()


def move_weights(encoder: SentenceEncoder, scale: float) -> None:
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for parameter in encoder.transformer.encoder.parameters():
            parameter.add_(scale * torch.randn(parameter.shape, generator=generator))


def losses(objective: MexmaObjective, batch: PairBatch) -> LossParts:
    with torch.no_grad():
        return objective(batch)


def test_the_term_is_zero_at_the_start_and_grows_as_the_weights_move(
    encoder: SentenceEncoder,
) -> None:
    objective = objective_for(encoder, distill_weight=2.0)
    batch = batch_for(encoder)
    assert float(losses(objective, batch).distill) == pytest.approx(0.0, abs=1e-10)

    distances = []
    for scale in (0.01, 0.1):
        move_weights(encoder, scale)
        distances.append(float(losses(objective, batch).distill))
    assert 0 < distances[0] < distances[1]


def test_the_weighted_term_is_in_the_total_and_the_base_is_not_trained(
    encoder: SentenceEncoder,
) -> None:
    batch = batch_for(encoder)
    plain = objective_for(encoder)
    distilled = objective_for(encoder, distill_weight=2.0)
    move_weights(encoder, 0.05)
    without, with_term = losses(plain, batch), losses(distilled, batch)
    assert plain.base is None and float(without.distill) == 0.0
    assert float(with_term.total) == pytest.approx(
        float(without.total) + 2.0 * float(with_term.distill), rel=1e-5
    )
    assert distilled.base is not None
    base_weights = set(map(id, distilled.base.transformer.parameters()))
    assert not base_weights & set(map(id, distilled.parameters()))
    assert not any(p.requires_grad for p in distilled.base.transformer.parameters())
    assert not any(key.startswith("base") for key in distilled.state_dict())


def test_the_gradient_pulls_the_vectors_back_towards_the_base(encoder: SentenceEncoder) -> None:
    objective = objective_for(
        encoder, distill_weight=1.0, align_weight=0.0, mlm_weight=0.0, koleo_weight=0.0
    )
    batch = batch_for(encoder)
    move_weights(encoder, 0.05)
    optimizer = torch.optim.SGD(encoder.transformer.parameters(), lr=0.01)
    before = float(losses(objective, batch).distill)
    for _ in range(3):
        optimizer.zero_grad()
        objective(batch).total.backward()
        optimizer.step()
    assert float(losses(objective, batch).distill) < before


def test_a_negative_weight_is_refused() -> None:
    with pytest.raises(ValueError, match="distill_weight"):
        ObjectiveConfig(distill_weight=-0.5)
