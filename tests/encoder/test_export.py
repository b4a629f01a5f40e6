"""The exported encoder loads with our loader, transformers and sentence-transformers alike."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from transformers import AutoModel

from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.training.export import export_encoder

TEXTS = ["The river flows through the old town.", "La panadería abre a las seis.", "x"]


@pytest.fixture(params=["cls", "mean"])
def exported(request: pytest.FixtureRequest, tiny_mean_model_dir: Path, tmp_path: Path) -> Path:
    encoder = SentenceEncoder.load(tiny_mean_model_dir, device="cpu")
    config = encoder.config.with_updates(
        pooling=request.param, name="tiny-trained", description="test export", base="tiny-mean"
    )
    return export_encoder(encoder, tmp_path / "export", config)


def test_export_writes_the_training_config(exported: Path) -> None:
    encoder = SentenceEncoder.load(exported, device="cpu")
    assert (encoder.config.name, encoder.config.base) == ("tiny-trained", "tiny-mean")
    assert encoder.config.query_prefix == "query: "
    assert not list(exported.parent.glob("*.tmp"))


def test_transformers_automodel_gives_our_vectors(exported: Path) -> None:
    ours = SentenceEncoder.load(exported, device="cpu")
    model = AutoModel.from_pretrained(exported).eval()
    batch = ours.tokenizer(["passage: " + t for t in TEXTS], padding=True, return_tensors="pt")
    with torch.no_grad():
        states = model(**batch).last_hidden_state
    if ours.config.pooling == "cls":
        vectors = states[:, 0]
    else:
        mask = batch["attention_mask"].unsqueeze(-1).float()
        vectors = (states * mask).sum(1) / mask.sum(1)
    expected = F.normalize(vectors, dim=-1).numpy()
    assert np.abs(ours.encode_array(TEXTS, prompt="passage") - expected).max() <= 1e-5


def test_sentence_transformers_gives_our_vectors(
    exported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    ours = SentenceEncoder.load(exported, device="cpu")
    theirs = SentenceTransformer(str(exported), device="cpu")
    for prompt in ("query", "passage"):
        expected = theirs.encode(TEXTS, prompt_name=prompt, convert_to_numpy=True)
        assert np.abs(ours.encode_array(TEXTS, prompt=prompt) - expected).max() <= 1e-5
