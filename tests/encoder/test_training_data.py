"""Bitext files as training input: fixed and held-out splits, flat dev metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.training.data import (
    BitextSource,
    fixed_splits,
    flat_xsim_metrics,
    held_out_split,
    xsim_evaluator,
)


@pytest.fixture
def source(tmp_path: Path) -> BitextSource:
    rows = [f"v{n}\tThe river {n} flows\tEl río {n} atraviesa" for n in range(12)]
    rows.append("v12\t\tempty source")
    path = tmp_path / "pairs.tsv"
    path.write_text("ref\ten\tes\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return BitextSource(path)


def test_fixed_splits_train_on_kept_pairs_and_hold_out_refs_as_given(
    source: BitextSource, tmp_path: Path
) -> None:
    splits_file = tmp_path / "splits.json"
    refs = {"train": [f"v{n}" for n in range(8)], "dev": ["v8", "v12"], "test": ["v9"]}
    splits_file.write_text(json.dumps(refs), encoding="utf-8")
    splits = fixed_splits(source, splits_file)
    train = list(splits.train())
    assert len(train) == 8 and train[0] == ("The river 0 flows", "El río 0 atraviesa")
    assert list(splits.train()) == train
    assert splits.held_out == [("The river 8 flows", "El río 8 atraviesa"), ("", "empty source")]


def test_held_out_split_separates_pairs(source: BitextSource) -> None:
    splits = held_out_split(source, 3)
    train = list(splits.train())
    assert len(splits.held_out) == 3 and len(train) == 9
    assert not set(train) & set(splits.held_out)
    everything = held_out_split(source, 0)
    assert everything.held_out == [] and len(list(everything.train())) == 12


def test_flat_metrics_average_both_directions() -> None:
    nested = {
        "n": 10,
        "xsim_cos_error": {"src2trg": 10.0, "trg2src": 30.0},
        "xsim_margin_error": {"src2trg": 0.0, "trg2src": 10.0},
    }
    assert flat_xsim_metrics(nested) == {
        "xsim_cos_error_src2trg": 10.0,
        "xsim_cos_error_trg2src": 30.0,
        "xsim_cos_error": 20.0,
        "xsim_margin_error_src2trg": 0.0,
        "xsim_margin_error_trg2src": 10.0,
        "xsim_margin_error": 5.0,
    }


def test_evaluator_scores_an_encoder(tiny_encoder: SentenceEncoder) -> None:
    pairs = [(f"The river {n} flows", f"El río {n} atraviesa") for n in range(6)]
    metrics = xsim_evaluator(pairs)(tiny_encoder)
    assert 0 <= metrics["xsim_margin_error"] <= 100
    with pytest.raises(ValueError, match="at least"):
        xsim_evaluator(pairs[:2])
