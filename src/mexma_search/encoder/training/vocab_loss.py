"""Cross-entropy over a large vocabulary without holding every logit in memory.

The unmasking loss projects each masked position onto the whole vocabulary (250k tokens for
XLM-R). For a batch of 32 Bible verse pairs that is about 1,300 rows, so the logits alone take
1.3 GB in fp32, and softmax and its gradient need as much again each. This computes the loss
a chunk of rows at a time and, in the same pass, the gradients (the idea behind Liger-Kernel's
fused linear cross-entropy): only one chunk of logits ever exists, no logit is computed twice,
and backward only scales the stored gradients. The result equals
``F.cross_entropy(F.linear(hidden, weight, bias), targets)`` (mean over rows).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

# Logit elements per chunk: 2**26 fp32 values are 256 MiB (about 268 rows of a 250k vocabulary).
CHUNK_ELEMENTS = 2**26


def linear_cross_entropy(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    targets: torch.Tensor,
    *,
    chunk_elements: int = CHUNK_ELEMENTS,
) -> torch.Tensor:
    """Mean cross-entropy of ``hidden @ weight.T + bias`` against ``targets``, chunked.

    ``hidden`` is ``[rows, dim]``, ``weight`` ``[vocab, dim]``, ``targets`` ``[rows]``. Under
    autocast the matrix products run in the autocast dtype (as ``F.linear`` would) while the
    softmax, the loss and the weight gradient stay in fp32. Zero rows give a zero loss.
    """
    if hidden.shape[0] == 0:
        return hidden.new_zeros((), dtype=torch.float32) + 0.0 * hidden.sum()
    device_type = hidden.device.type
    compute_dtype = hidden.dtype
    if torch.is_autocast_enabled(device_type):
        compute_dtype = torch.get_autocast_dtype(device_type)
    rows_per_chunk = max(1, chunk_elements // weight.shape[0])
    with torch.autocast(device_type=device_type, enabled=False):
        return _LinearCrossEntropy.apply(
            hidden.to(compute_dtype), weight, bias, targets, rows_per_chunk
        )


class _LinearCrossEntropy(torch.autograd.Function):
    """Loss and gradients in one chunked forward pass; backward scales them by the upstream
    gradient (a scalar)."""

    @staticmethod
    def forward(
        ctx: Any,
        hidden: torch.Tensor,
        weight: torch.Tensor,
        bias: torch.Tensor | None,
        targets: torch.Tensor,
        rows_per_chunk: int,
    ) -> torch.Tensor:
        rows = hidden.shape[0]
        w = weight.to(hidden.dtype)
        b = None if bias is None else bias.to(hidden.dtype)
        grad_hidden = torch.empty_like(hidden) if hidden.requires_grad else None
        grad_weight = (
            torch.zeros_like(weight, dtype=torch.float32) if weight.requires_grad else None
        )
        grad_bias: torch.Tensor | None = None
        if bias is not None and bias.requires_grad:
            grad_bias = torch.zeros_like(bias, dtype=torch.float32)
        total = torch.zeros((), dtype=torch.float32, device=hidden.device)
        for start in range(0, rows, rows_per_chunk):
            chunk = slice(start, start + rows_per_chunk)
            h, t = hidden[chunk], targets[chunk]
            logits = F.linear(h, w, b).float()
            log_norm = torch.logsumexp(logits, dim=-1)
            total += (log_norm - logits.gather(1, t.unsqueeze(1)).squeeze(1)).sum()
            if grad_hidden is None and grad_weight is None and grad_bias is None:
                continue
            # d(mean loss)/d(logits) = (softmax - one_hot(target)) / rows, built in place.
            grad_logits = logits.sub_(log_norm.unsqueeze(1)).exp_()
            grad_logits[torch.arange(len(t), device=t.device), t] -= 1.0
            grad_logits /= rows
            if grad_bias is not None:
                grad_bias += grad_logits.sum(dim=0)
            if grad_weight is not None:
                grad_weight.addmm_(grad_logits.T, h.float())
            if grad_hidden is not None:
                grad_hidden[chunk] = grad_logits.to(h.dtype) @ w
        ctx.save_for_backward(grad_hidden, grad_weight, grad_bias)
        ctx.weight_dtype = weight.dtype
        ctx.bias_dtype = None if bias is None else bias.dtype
        return total / rows

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_loss: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        grad_hidden, grad_weight, grad_bias = ctx.saved_tensors
        scale = grad_loss.float()
        return (
            None if grad_hidden is None else grad_hidden * scale.to(grad_hidden.dtype),
            None if grad_weight is None else (grad_weight * scale).to(ctx.weight_dtype),
            None if grad_bias is None else (grad_bias * scale).to(ctx.bias_dtype),
            None,
            None,
        )
