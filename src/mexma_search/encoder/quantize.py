"""Opt-in fast CPU inference: dynamic int8 for most Linear layers, bf16 for the FFN outputs.

``SentenceEncoder.load(..., precision="int8")`` rewrites the transformer's Linear layers:

- query, key, value, attention output and FFN input run as PyTorch dynamic int8 layers
  (fbgemm kernels): int8 weights with one scale per output channel; activations quantised per
  batch at run time, with the full 8-bit range where the CPU has VNNI (PyTorch's own module
  uses 7 bits so that CPUs without VNNI cannot overflow their 16-bit sums);
- the FFN output projections (``encoder.layer.N.output.dense``) are kept out of int8: their
  input is the GELU output, whose outliers a single per-batch scale cannot cover. They run in
  bf16 on CPUs with AVX512-BF16 (fp32 accumulation) and stay fp32 elsewhere;
- embeddings, layer norms, attention scores and pooling stay fp32.

This layout keeps the fp32 xsim error while all-int8 loses some; the variants compared and
their figures are in docs/benchmarks.md (``encoder/quantize.py``).

Vectors depend very slightly on which texts share a batch (the activation scale is per batch).
PyTorch 2.13 marks its quantised tensor types as deprecated (torchao is to replace them); the
project pins torch, and ``precision="bf16"`` is the alternative that does not use them.
"""

from __future__ import annotations

import re
import warnings

import torch
import torch.nn.functional as F
from torch import nn
from torch.ao.nn.quantized.dynamic import Linear as DynamicInt8Linear
from torch.ao.quantization import per_channel_dynamic_qconfig

# Hugging Face BERT-family names: the FFN output of layer N is ``encoder.layer.N.output.dense``.
KEEP_OUT_OF_INT8 = re.compile(r"encoder\.layer\.\d+\.output\.dense")


def _cpu_has(check: str) -> bool:
    """A ``torch.cpu`` feature check (private API: a build without it counts as no)."""
    return bool(getattr(torch.cpu, check, lambda: False)())


class Int8Linear(DynamicInt8Linear):
    """Dynamic int8 Linear that uses 8-bit activations where VNNI sums them in int32."""

    full_range: bool = _cpu_has("_is_vnni_supported")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        packed = self._packed_params._packed_params
        y = torch.ops.quantized.linear_dynamic(x, packed, reduce_range=not self.full_range)
        return y.to(x.dtype)

    def _get_name(self) -> str:
        return "Int8Linear"


class Bf16Linear(nn.Module):
    """A Linear with bf16 weights, computed in bf16; takes and returns the caller's dtype."""

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.weight = nn.Parameter(linear.weight.detach().to(torch.bfloat16), requires_grad=False)
        bias = None if linear.bias is None else linear.bias.detach().to(torch.bfloat16)
        self.bias = None if bias is None else nn.Parameter(bias, requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x.to(torch.bfloat16), self.weight, self.bias).to(x.dtype)


def to_int8(linear: nn.Linear) -> Int8Linear:
    """An :class:`Int8Linear` with ``linear``'s weights quantised per output channel."""
    # torch types unknown Module attributes as Tensor | Module; qconfig is read by from_float
    linear.qconfig = per_channel_dynamic_qconfig  # type: ignore[assignment]
    with warnings.catch_warnings():
        # PyTorch's deprecation notice for quantised tensors, once per layer (see module doc).
        warnings.filterwarnings("ignore", message=r"torch\.quantize_per_tensor")
        return Int8Linear.from_float(linear)


def quantize_int8(
    model: nn.Module,
    keep_out_of_int8: re.Pattern[str] = KEEP_OUT_OF_INT8,
    kept_in_bf16: bool | None = None,
) -> nn.Module:
    """Rewrite ``model``'s Linear layers in place, as described in the module doc.

    Layers whose full name matches ``keep_out_of_int8`` become :class:`Bf16Linear` when
    ``kept_in_bf16`` (default: when the CPU has AVX512-BF16), else stay fp32.
    """
    if kept_in_bf16 is None:
        kept_in_bf16 = _cpu_has("_is_avx512_bf16_supported")
    for name, module in list(model.named_modules()):
        if type(module) is not nn.Linear:
            continue
        if not keep_out_of_int8.fullmatch(name):
            _replace(model, name, to_int8(module))
        elif kept_in_bf16:
            _replace(model, name, Bf16Linear(module))
    return model


def _replace(model: nn.Module, name: str, module: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent_name), child, module)
