"""The per-model config: saved beside the weights, read back, and sentence-transformers files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from mexma_search.encoder.config import CONFIG_FILE, EncoderConfig
from mexma_search.encoder.model import SentenceEncoder


def test_config_round_trips_through_the_model_directory(tiny_mean_model_dir: Path) -> None:
    loaded = SentenceEncoder.load(tiny_mean_model_dir, device="cpu").config
    assert loaded.pooling == "mean"
    assert loaded.query_prefix == "query: "
    assert loaded.passage_prefix == "passage: "
    assert loaded.normalize


def test_sentence_transformers_files_describe_the_pooling(tiny_cls_model_dir: Path) -> None:
    modules = json.loads((tiny_cls_model_dir / "modules.json").read_text())
    assert [m["type"].rsplit(".", 1)[-1] for m in modules] == [
        "Transformer",
        "Pooling",
        "Normalize",
    ]
    pooling = json.loads((tiny_cls_model_dir / "1_Pooling" / "config.json").read_text())
    assert pooling["pooling_mode_cls_token"] and not pooling["pooling_mode_mean_tokens"]


def test_config_is_read_from_sentence_transformers_files_alone(
    tiny_mean_model_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "st-only"
    shutil.copytree(tiny_mean_model_dir, copy)
    (copy / CONFIG_FILE).unlink()
    config = SentenceEncoder.load(copy, device="cpu").config
    assert (config.pooling, config.query_prefix, config.passage_prefix) == (
        "mean",
        "query: ",
        "passage: ",
    )


def test_a_bare_transformer_gets_the_mexma_convention(
    tiny_mean_model_dir: Path, tmp_path: Path
) -> None:
    bare = tmp_path / "bare"
    shutil.copytree(tiny_mean_model_dir, bare)
    for name in (CONFIG_FILE, "modules.json", "sentence_bert_config.json"):
        (bare / name).unlink()
    encoder = SentenceEncoder.load(bare, device="cpu")
    assert encoder.config.pooling == "cls"
    assert encoder.config.query_prefix == ""
    assert encoder.config.max_length == 64


def test_loading_in_sentence_transformers_gives_the_same_vectors(
    tiny_mean_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    texts = ["El río", "The bakery opens at six and sells fresh bread every morning."]
    st_vectors = SentenceTransformer(str(tiny_mean_model_dir), device="cpu").encode(
        texts, prompt_name="passage"
    )
    ours = SentenceEncoder.load(tiny_mean_model_dir, device="cpu").encode_array(
        texts, prompt="passage"
    )
    assert np.abs(st_vectors - ours).max() <= 1e-5


def test_invalid_config_values_are_rejected() -> None:
    with pytest.raises(ValueError, match="pooling must be one of"):
        EncoderConfig(pooling="max")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_length"):
        EncoderConfig(max_length=1)
