"""Warm-up from 0.1 x lr, then cosine to zero, in optimiser steps."""

from __future__ import annotations

import math

import pytest
import torch

from mexma_search.encoder.training.schedule import WarmupCosineSchedule


def test_warmup_starts_at_a_tenth_and_cosine_ends_at_zero() -> None:
    schedule = WarmupCosineSchedule(peak_lr=1e-4, total_steps=100, warmup_ratio=0.3)
    assert schedule.warmup_steps == 30
    assert schedule.lr(0) == pytest.approx(1e-5)
    assert schedule.lr(15) == pytest.approx(1e-5 + 0.5 * 9e-5)
    assert schedule.lr(30) == pytest.approx(1e-4)
    assert schedule.lr(65) == pytest.approx(0.5e-4)
    assert schedule.lr(99) == pytest.approx(1e-4 * 0.5 * (1 + math.cos(69 / 70 * math.pi)))
    assert schedule.lr(100) == pytest.approx(0.0)
    rates = [schedule.lr(step) for step in range(101)]
    assert rates[:31] == sorted(rates[:31])
    assert rates[30:] == sorted(rates[30:], reverse=True)


def test_apply_sets_every_parameter_group() -> None:
    parameters = [torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))]
    optimizer = torch.optim.AdamW([{"params": parameters[:1]}, {"params": parameters[1:]}])
    lr = WarmupCosineSchedule(peak_lr=2.0, total_steps=10, warmup_ratio=0.0).apply(optimizer, 5)
    assert lr == pytest.approx(1.0)
    assert [group["lr"] for group in optimizer.param_groups] == [lr, lr]


def test_invalid_settings_are_rejected() -> None:
    with pytest.raises(ValueError):
        WarmupCosineSchedule(peak_lr=1.0, total_steps=0)
    with pytest.raises(ValueError):
        WarmupCosineSchedule(peak_lr=1.0, total_steps=10, warmup_ratio=1.5)
