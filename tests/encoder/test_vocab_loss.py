"""The chunked linear cross-entropy equals the plain one, in value and in every gradient."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from mexma_search.encoder.training.vocab_loss import linear_cross_entropy

ROWS, DIM, VOCAB = 37, 16, 101


def _inputs(seed: int = 0) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(seed)
    hidden = torch.randn(ROWS, DIM, generator=generator, requires_grad=True)
    weight = torch.randn(VOCAB, DIM, generator=generator, requires_grad=True)
    bias = torch.randn(VOCAB, generator=generator, requires_grad=True)
    targets = torch.randint(0, VOCAB, (ROWS,), generator=generator)
    return hidden, weight, bias, targets


def _grads(loss: torch.Tensor, *tensors: torch.Tensor) -> list[torch.Tensor]:
    return list(torch.autograd.grad(loss, tensors))


@pytest.mark.parametrize("rows_per_chunk", [1, 5, ROWS, 1000])
def test_equals_plain_cross_entropy_in_value_and_gradients(rows_per_chunk: int) -> None:
    hidden, weight, bias, targets = _inputs()
    expected = F.cross_entropy(F.linear(hidden, weight, bias), targets)
    chunked = linear_cross_entropy(
        hidden, weight, bias, targets, chunk_elements=rows_per_chunk * VOCAB
    )
    torch.testing.assert_close(chunked, expected)
    # A non-unit upstream gradient must scale every gradient.
    for got, want in zip(
        _grads(3.0 * chunked, hidden, weight, bias),
        _grads(3.0 * expected, hidden, weight, bias),
        strict=True,
    ):
        torch.testing.assert_close(got, want)


def test_frozen_weight_and_no_bias() -> None:
    hidden, weight, _, targets = _inputs(1)
    weight = weight.detach()
    expected = F.cross_entropy(hidden @ weight.T, targets)
    chunked = linear_cross_entropy(hidden, weight, None, targets, chunk_elements=4 * VOCAB)
    torch.testing.assert_close(chunked, expected)
    torch.testing.assert_close(_grads(chunked, hidden)[0], _grads(expected, hidden)[0])


def test_bf16_autocast_keeps_gradients_in_the_parameters_dtype() -> None:
    hidden, weight, bias, targets = _inputs(2)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        chunked = linear_cross_entropy(hidden, weight, bias, targets)
    expected = F.cross_entropy(F.linear(hidden, weight, bias), targets)
    assert chunked.dtype == torch.float32
    torch.testing.assert_close(chunked, expected, atol=0.05, rtol=0.02)
    grad_hidden, grad_weight = _grads(chunked, hidden, weight)
    assert grad_hidden.dtype == grad_weight.dtype == torch.float32
    want_hidden, want_weight = _grads(expected, hidden, weight)
    torch.testing.assert_close(grad_hidden, want_hidden, atol=0.02, rtol=0.05)
    torch.testing.assert_close(grad_weight, want_weight, atol=0.02, rtol=0.05)


def test_no_rows_gives_zero_loss_and_zero_gradient() -> None:
    hidden, weight, bias, _ = _inputs()
    empty = hidden[:0]
    loss = linear_cross_entropy(empty, weight, bias, torch.zeros(0, dtype=torch.long))
    assert loss.item() == 0.0
    loss.backward()
    assert hidden.grad is not None and not hidden.grad.any()
