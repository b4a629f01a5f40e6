"""MEXMA masking: rates, the 80/10/10 split, protected tokens, per-side generators, redraws."""

from __future__ import annotations

import pytest
import torch

from mexma_search.encoder.training.masking import TokenMasker

MASK_ID = 99
VOCAB = 100
SPECIALS = (0, 1, 2, 3)


def make_masker(ratio: float = 0.4, seed: int = 0) -> TokenMasker:
    return TokenMasker(
        mask_id=MASK_ID, special_ids=SPECIALS, vocab_size=VOCAB, ratio=ratio, seed=seed
    )


def padded_batch(rows: int = 400, width: int = 60) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows of ``<s> tokens </s> <pad>...`` with varying lengths; token ids in 4..98."""
    generator = torch.Generator().manual_seed(123)
    ids = torch.randint(4, MASK_ID, (rows, width), generator=generator)
    lengths = torch.randint(3, width + 1, (rows,), generator=generator)
    positions = torch.arange(width).expand(rows, width)
    attention = (positions < lengths[:, None]).long()
    ids[:, 0] = 0
    ids[torch.arange(rows), lengths - 1] = 2
    ids[attention == 0] = 1
    return ids, attention


def test_about_forty_percent_of_real_tokens_are_chosen_and_split_80_10_10() -> None:
    ids, attention = padded_batch()
    masker = make_masker()
    result = masker.mask(ids, attention, "a")
    maskable = masker.maskable(ids, attention)
    chosen = result.labels_mask
    rate = chosen.sum().item() / maskable.sum().item()
    assert abs(rate - 0.4) < 0.02
    n = chosen.sum().item()
    to_mask = (result.input_ids[chosen] == MASK_ID).float().mean().item()
    unchanged = (result.input_ids[chosen] == ids[chosen]).float().mean().item()
    assert abs(to_mask - 0.8) < 0.02
    # The random 10 % sometimes draws the original id (1 in 95 here).
    assert abs(unchanged - (0.1 + 0.1 / 95)) < 0.015
    assert abs(1 - to_mask - unchanged - 0.1) < 0.015
    assert n > 2000
    # Random replacements are never special tokens.
    replaced = result.input_ids[chosen & (result.input_ids != MASK_ID) & (result.input_ids != ids)]
    assert len(replaced) > 0
    assert not torch.isin(replaced, torch.tensor(SPECIALS)).any()


def test_special_tokens_and_padding_are_never_touched() -> None:
    ids, attention = padded_batch()
    result = make_masker(ratio=1.0).mask(ids, attention, "b")
    protected = (attention == 0) | torch.isin(ids, torch.tensor(SPECIALS))
    assert not result.labels_mask[protected].any()
    assert torch.equal(result.input_ids[protected], ids[protected])
    assert result.labels_mask[~protected].all()


def test_the_two_sides_use_different_generators() -> None:
    ids, attention = padded_batch(rows=8)
    masker = make_masker(seed=5)
    side_a = masker.mask(ids, attention, "a").labels_mask
    masker.reseed(5)
    side_b = masker.mask(ids, attention, "b").labels_mask
    assert not torch.equal(side_a, side_b)
    masker.reseed(5)
    assert torch.equal(masker.mask(ids, attention, "a").labels_mask, side_a)


def test_a_draw_without_any_chosen_token_is_redrawn() -> None:
    ids = torch.tensor([[0, 10, 2]])
    attention = torch.ones_like(ids)
    masker = make_masker(ratio=0.05)
    # A single draw would choose nothing 95 % of the time; with redraws it always chooses.
    for seed in range(20):
        masker.reseed(seed)
        result = masker.mask(ids, attention, "a")
        assert result.labels_mask.sum() == 1
        assert result.labels_mask[0, 1]


def test_a_batch_with_nothing_to_mask_is_an_error() -> None:
    ids = torch.tensor([[0, 2], [0, 2]])
    with pytest.raises(ValueError, match="no maskable token"):
        make_masker().mask(ids, torch.ones_like(ids), "a")
