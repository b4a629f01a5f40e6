"""The MEXMA objective: cross-unmasking inputs, gradient paths, KoLeo, tied sparse logits."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.pooling import pool
from mexma_search.encoder.training import head as head_module
from mexma_search.encoder.training.batching import PairBatch, PairCollator
from mexma_search.encoder.training.head import HeadConfig
from mexma_search.encoder.training.masking import TokenMasker
from mexma_search.encoder.training.objectives import (
    MexmaObjective,
    ObjectiveConfig,
    info_nce_loss,
    koleo_loss,
)
from mexma_search.encoder.training.vocab_loss import linear_cross_entropy

PAIRS = [
    ("The river flows through the old town.", "El río atraviesa el casco antiguo."),
    ("The bakery opens at six.", "La panadería abre a las seis."),
    ("The next train to the coast leaves at noon.", "El próximo tren a la costa sale a mediodía."),
]


@pytest.fixture
def encoder(tiny_cls_model_dir: Path) -> SentenceEncoder:
    torch.set_num_threads(1)
    return SentenceEncoder.load(tiny_cls_model_dir, device="cpu")


def make_batch(encoder: SentenceEncoder, seed: int = 0) -> PairBatch:
    masker = TokenMasker.for_tokenizer(encoder.tokenizer, seed=seed)
    return PairCollator(encoder.tokenizer, masker, max_length=32)(PAIRS)


def make_objective(encoder: SentenceEncoder, **changes: object) -> MexmaObjective:
    torch.manual_seed(0)
    pooling = changes.pop("pooling", "cls")
    objective = MexmaObjective(
        encoder.transformer,
        ObjectiveConfig(**changes),  # type: ignore[arg-type]
        pooling=pooling,  # type: ignore[arg-type]
    )
    return objective.train()


def test_head_position_zero_is_the_other_sides_clean_vector(encoder: SentenceEncoder) -> None:
    objective = make_objective(encoder)
    batch = make_batch(encoder)
    head_inputs: list[torch.Tensor] = []
    objective.head.layers.register_forward_pre_hook(
        lambda _module, args: head_inputs.append(args[0].detach())
    )
    objective(batch)
    with torch.no_grad():
        vectors = {
            name: pool(
                encoder.transformer(
                    input_ids=side.input_ids, attention_mask=side.attention_mask
                ).last_hidden_state,
                side.attention_mask,
                "cls",
            )
            for name, side in (("a", batch.a), ("b", batch.b))
        }
    input_for_a, input_for_b = head_inputs
    torch.testing.assert_close(input_for_a[:, 0], vectors["b"])
    torch.testing.assert_close(input_for_b[:, 0], vectors["a"])
    assert not torch.allclose(input_for_a[:, 0], vectors["a"])


def transformer_output_grads(objective: MexmaObjective, batch: PairBatch) -> list[torch.Tensor]:
    """Gradients at the encoder's outputs: side A's [clean; masked] rows, then side B's."""
    outputs: list[torch.Tensor] = []

    def keep(_module: object, _args: object, output: SimpleNamespace) -> None:
        output.last_hidden_state.retain_grad()
        outputs.append(output.last_hidden_state)

    objective.transformer.register_forward_hook(keep)
    objective(batch).total.backward()
    return [output.grad for output in outputs]  # type: ignore[misc]


def test_token_level_gradient_reaches_the_masked_token_states(encoder: SentenceEncoder) -> None:
    batch = make_batch(encoder)
    grads = transformer_output_grads(make_objective(encoder), batch)
    for grad, side in zip(grads, (batch.a, batch.b), strict=True):
        masked_rows = grad[len(batch) :]
        assert masked_rows[:, 1:].abs().sum(dim=-1)[side.attention_mask[:, 1:].bool()].min() > 0


def test_without_token_gradient_only_the_other_sides_vector_carries_it(
    encoder: SentenceEncoder,
) -> None:
    batch = make_batch(encoder)
    objective = make_objective(encoder, token_gradient=False, align_weight=0.0, koleo=False)
    grads = transformer_output_grads(objective, batch)
    for grad in grads:
        clean_rows, masked_rows = grad[: len(batch)], grad[len(batch) :]
        assert torch.count_nonzero(masked_rows) == 0
        # The unmasking loss still reaches the encoder through the clean CLS vectors.
        assert clean_rows[:, 0].abs().sum(dim=-1).min() > 0
        assert torch.count_nonzero(clean_rows[:, 1:]) == 0


def test_koleo_matches_a_hand_computed_example() -> None:
    points = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    # Nearest by dot product: 1 -> 3 (0.6), 2 -> 3 (0.8), 3 -> 2 (0.8).
    expected = -(math.log(math.sqrt(0.8)) + 2 * math.log(math.sqrt(0.4))) / 3
    assert koleo_loss(points).item() == pytest.approx(expected, abs=1e-6)
    assert koleo_loss(points * 3).item() == pytest.approx(expected, abs=1e-6)
    assert koleo_loss(points[:1]).item() == 0.0


def test_info_nce_is_the_mean_of_both_directions() -> None:
    a = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    b = torch.tensor([[1.0, 0.0], [0.6, 0.8]])
    logits = torch.tensor([[1.0, 0.6], [0.0, 0.8]]) / 0.1
    targets = torch.arange(2)
    expected = (
        torch.nn.functional.cross_entropy(logits, targets)
        + torch.nn.functional.cross_entropy(logits.T, targets)
    ) / 2
    torch.testing.assert_close(info_nce_loss(a, b, 0.1), expected)


def test_logits_are_computed_for_masked_positions_only(
    encoder: SentenceEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    objective = make_objective(encoder)
    batch = make_batch(encoder)
    projected: list[tuple[torch.Size, torch.Tensor]] = []

    def recording_loss(hidden: torch.Tensor, weight: torch.Tensor, *args: object) -> object:
        projected.append((hidden.shape, weight))
        return linear_cross_entropy(hidden, weight, *args)

    monkeypatch.setattr(head_module, "linear_cross_entropy", recording_loss)
    parts = objective(batch)
    hidden_size = encoder.transformer.config.hidden_size
    assert [shape for shape, _ in projected] == [
        torch.Size([int(batch.a.labels_mask.sum()), hidden_size]),
        torch.Size([int(batch.b.labels_mask.sum()), hidden_size]),
    ]
    assert all(w is encoder.transformer.get_input_embeddings().weight for _, w in projected)
    assert (parts.masked_a, parts.masked_b) == (projected[0][0][0], projected[1][0][0])
    assert projected[0][0][0] < batch.a.attention_mask.sum()


def test_vocabulary_projection_is_tied_to_the_word_embeddings(encoder: SentenceEncoder) -> None:
    objective = make_objective(encoder)
    embedding = encoder.transformer.get_input_embeddings().weight
    assert objective.head.vocab_weight is embedding
    assert objective.head.vocab_weight.data_ptr() == embedding.data_ptr()
    assert sum(p is embedding for p in objective.parameters()) == 1
    assert objective.head.vocab_bias.shape == (embedding.shape[0],)


def test_loss_parts_and_switches(encoder: SentenceEncoder) -> None:
    batch = make_batch(encoder)
    full = make_objective(encoder)(batch)
    expected = full.align + full.mlm + 0.01 * full.koleo
    torch.testing.assert_close(full.total, expected)
    no_koleo = make_objective(encoder, koleo=False)(batch)
    assert no_koleo.koleo.item() == 0.0
    torch.testing.assert_close(no_koleo.total, no_koleo.align + no_koleo.mlm)
    contrastive = make_objective(encoder, alignment="contrastive")(batch)
    assert contrastive.align.item() != pytest.approx(full.align.item())
    mean = make_objective(encoder, pooling="mean")(batch)
    assert mean.align.item() != pytest.approx(full.align.item())


def test_without_the_unmasking_loss_only_the_clean_views_are_encoded(
    encoder: SentenceEncoder,
) -> None:
    batch = make_batch(encoder)
    with_head = make_objective(encoder)(batch)
    objective = make_objective(encoder, mlm_weight=0.0)
    rows_seen: list[int] = []
    objective.transformer.register_forward_pre_hook(
        lambda _module, _args, kwargs: rows_seen.append(kwargs["input_ids"].shape[0]),
        with_kwargs=True,
    )
    parts = objective(batch)
    assert objective.head is None
    assert rows_seen == [len(PAIRS), len(PAIRS)]
    assert parts.mlm.item() == 0.0
    torch.testing.assert_close(parts.align, with_head.align)
    torch.testing.assert_close(parts.total, parts.align + 0.01 * parts.koleo)


def test_head_defaults_scale_with_the_encoder() -> None:
    large = SimpleNamespace(
        hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, hidden_dropout_prob=0.1
    )
    small = SimpleNamespace(
        hidden_size=384, num_hidden_layers=12, num_attention_heads=12, hidden_dropout_prob=0.1
    )
    paper = HeadConfig.for_encoder(large)
    assert (paper.num_layers, paper.num_heads, paper.ffn_size) == (6, 8, 3072)
    e5_small = HeadConfig.for_encoder(small)
    assert (e5_small.num_layers, e5_small.num_heads, e5_small.ffn_size) == (3, 8, 1152)
    assert HeadConfig.for_encoder(small, num_layers=2).num_layers == 2
    with pytest.raises(ValueError, match="divide"):
        HeadConfig(hidden_size=30, num_layers=1, num_heads=8, ffn_size=60)


def test_head_loss_equals_cross_entropy_of_its_logits(encoder: SentenceEncoder) -> None:
    head = make_objective(encoder).head.eval()
    batch = make_batch(encoder)
    states = encoder.transformer(
        input_ids=batch.a.masked_ids, attention_mask=batch.a.attention_mask
    ).last_hidden_state
    targets = batch.a.input_ids[batch.a.labels_mask]
    logits = head(states, batch.a.attention_mask, batch.a.labels_mask)
    expected = torch.nn.functional.cross_entropy(logits, targets)
    got = head.loss(states, batch.a.attention_mask, batch.a.labels_mask, targets)
    torch.testing.assert_close(got, expected)
