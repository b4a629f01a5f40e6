"""The opt-in fast CPU precisions: selective int8 quantisation and bf16 autocast."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.ao.nn.quantized.dynamic import Linear as DynamicInt8Linear

from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.quantize import Bf16Linear, Int8Linear, quantize_int8


def layer_precisions(model: nn.Module) -> dict[str, str]:
    """``int8``, ``bf16`` or ``fp32`` for every Linear-like layer of ``model``, by name."""
    kinds = {Int8Linear: "int8", DynamicInt8Linear: "int8", Bf16Linear: "bf16", nn.Linear: "fp32"}
    return {name: kinds[type(m)] for name, m in model.named_modules() if type(m) in kinds}


FAST_PRECISIONS = ["int8", "bf16"]
INT8_PARTS = [
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
]


@pytest.fixture(scope="module")
def fast_encoders(tiny_mean_model_dir: Path) -> dict[str, SentenceEncoder]:
    return {
        precision: SentenceEncoder.load(tiny_mean_model_dir, device="cpu", precision=precision)
        for precision in FAST_PRECISIONS
    }


@pytest.mark.parametrize("precision", FAST_PRECISIONS)
def test_fast_precisions_return_unit_float32_vectors_in_input_order(
    precision: str,
    fast_encoders: dict[str, SentenceEncoder],
    mixed_texts: list[str],
) -> None:
    encoder = fast_encoders[precision]
    vectors = encoder.encode_array(mixed_texts, prompt="passage", batch_size=2)
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(mixed_texts), encoder.dimension)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    reversed_vectors = encoder.encode_array(mixed_texts[::-1], prompt="passage", batch_size=2)
    # int8 scales activations per batch, so other batch mates may move a vector a little.
    np.testing.assert_allclose(vectors, reversed_vectors[::-1], atol=1e-3)


@pytest.mark.parametrize("precision", FAST_PRECISIONS)
def test_fast_precisions_stay_close_to_fp32(
    precision: str,
    fast_encoders: dict[str, SentenceEncoder],
    tiny_mean_encoder: SentenceEncoder,
    mixed_texts: list[str],
) -> None:
    fast = fast_encoders[precision].encode_array(mixed_texts, prompt="passage")
    exact = tiny_mean_encoder.encode_array(mixed_texts, prompt="passage")
    errors = np.linalg.norm(fast - exact, axis=1)
    distances = np.linalg.norm(exact[:, None] - exact[None], axis=-1)
    nearest_other = distances[~np.eye(len(mixed_texts), dtype=bool)].min()
    # Every vector stays far closer to its own fp32 vector than any two texts are to each other.
    assert errors.max() < 0.05 * nearest_other
    assert ((fast * exact).sum(axis=1) > 0.999).all()
    assert ((fast @ exact.T).argmax(axis=1) == np.arange(len(mixed_texts))).all()


def test_int8_covers_all_linear_layers_but_the_ffn_outputs(
    fast_encoders: dict[str, SentenceEncoder],
) -> None:
    transformer = fast_encoders["int8"].transformer
    kept = "bf16" if torch.cpu._is_avx512_bf16_supported() else "fp32"
    expected = {}
    for i in range(transformer.config.num_hidden_layers):
        for part in INT8_PARTS:
            expected[f"encoder.layer.{i}.{part}"] = "int8"
        expected[f"encoder.layer.{i}.output.dense"] = kept
    assert layer_precisions(transformer) == expected
    embeddings = transformer.get_submodule("embeddings.word_embeddings")
    assert type(embeddings) is nn.Embedding
    assert embeddings.weight.dtype == torch.float32


@pytest.mark.parametrize("kept_in_bf16", [True, False])
def test_quantize_int8_follows_the_keep_pattern(kept_in_bf16: bool) -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.GELU(), nn.Linear(32, 8)).eval()
    inputs = torch.randn(5, 16)
    with torch.inference_mode():
        expected = model(inputs)
    quantize_int8(model, re.compile("2"), kept_in_bf16=kept_in_bf16)
    assert layer_precisions(model) == {"0": "int8", "2": "bf16" if kept_in_bf16 else "fp32"}
    with torch.inference_mode():
        outputs = model(inputs)
    assert outputs.dtype == torch.float32
    assert not torch.equal(outputs, expected)
    torch.testing.assert_close(outputs, expected, atol=0.03, rtol=0.03)


def test_int8_is_cpu_only_and_cannot_be_saved(
    tiny_mean_encoder: SentenceEncoder, fast_encoders: dict[str, SentenceEncoder], tmp_path: Path
) -> None:
    transformer = type(tiny_mean_encoder.transformer)(tiny_mean_encoder.transformer.config)
    with pytest.raises(ValueError, match="CPU only"):
        SentenceEncoder(
            transformer,
            tiny_mean_encoder.tokenizer,
            tiny_mean_encoder.config,
            device="meta",
            precision="int8",
        )
    with pytest.raises(ValueError, match="cannot be saved"):
        fast_encoders["int8"].save(tmp_path / "int8")
    assert not (tmp_path / "int8").exists()
