"""``validate-bitext``, ``evaluate`` and ``train`` on a tiny model and a toy bitext."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from mexma_search.app.settings import get_settings
from mexma_search.cli import main

ROWS = [
    (f"The river {n} flows through the old town", f"El río {n} atraviesa el casco")
    for n in range(40)
]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    torch.set_num_threads(1)
    monkeypatch.setenv("MEXMA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEXMA_DEVICE", "cpu")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


@pytest.fixture
def bitext(tmp_path: Path) -> Path:
    path = tmp_path / "pairs.tsv"
    lines = ["en\tes", *(f"{src}\t{trg}" for src, trg in ROWS), "\tempty source"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_validate_bitext_reports_kept_and_dropped_pairs(cli: CliRunner, bitext: Path) -> None:
    result = cli.invoke(main, ["validate-bitext", "--bitext", str(bitext), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["pairs_read"], report["pairs_kept"]) == (41, 40)
    assert report["dropped"]["empty_side"] == 1
    text = cli.invoke(main, ["validate-bitext", str(bitext)])  # the README's form
    assert "pairs kept: 40" in text.output


def test_the_bitext_file_is_given_once(cli: CliRunner, bitext: Path, tmp_path: Path) -> None:
    missing = cli.invoke(main, ["validate-bitext"])
    assert missing.exit_code == 2
    assert "which bitext file?" in missing.output
    other = tmp_path / "other.tsv"
    other.write_text("en\tes\nHello\tHola\n", encoding="utf-8")
    both = cli.invoke(main, ["validate-bitext", str(bitext), "--bitext", str(other)])
    assert both.exit_code == 2
    assert "give the bitext file once" in both.output


def test_evaluate_prints_xsim_errors_both_ways(
    cli: CliRunner, bitext: Path, tiny_cls_model_dir: Path
) -> None:
    args = ["evaluate", "--model", str(tiny_cls_model_dir), "--bitext", str(bitext), "--json"]
    result = cli.invoke(main, args)
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert scores["n"] == 41  # every pair, the one with an empty side too
    for name in ("xsim_cos_error", "xsim_margin_error"):
        assert set(scores[name]) == {"src2trg", "trg2src"}
        assert all(0 <= value <= 100 for value in scores[name].values())
    assert scores["filter"]["applied"] is False
    assert scores["filter"]["dropped"]["empty_side"] == 1
    assert scores["filter"]["length_unit"] == "tokens"


def test_evaluate_reports_what_the_filter_would_drop_and_applies_it_on_request(
    cli: CliRunner, bitext: Path, tiny_cls_model_dir: Path
) -> None:
    with bitext.open("a", encoding="utf-8") as handle:
        handle.write("The river flows through the old town and far beyond the hills\tRío\n")
    args = ["evaluate", "--model", str(tiny_cls_model_dir), str(bitext)]
    shown = cli.invoke(main, args)
    assert shown.exit_code == 0, shown.output
    assert "(42 pairs)" in shown.output
    assert "Validation filter would drop 2 of 42 pairs" in shown.output
    assert "empty side: 1 (lines 42)" in shown.output
    assert "length-ratio outlier (> 3x in tokens): 1 (lines 43)" in shown.output
    filtered = cli.invoke(main, [*args, "--filter", "--json"])
    assert filtered.exit_code == 0, filtered.output
    scores = json.loads(filtered.stdout)
    assert (scores["n"], scores["filter"]["applied"], scores["filter"]["pairs_kept"]) == (
        40,
        True,
        40,
    )


def test_train_fine_tunes_and_exports(
    cli: CliRunner, bitext: Path, tiny_cls_model_dir: Path, tmp_path: Path
) -> None:
    output = tmp_path / "run"
    args = [
        "train", "--base", str(tiny_cls_model_dir), "--bitext", str(bitext),
        "--output", str(output), "--held-out", "8", "--max-steps", "3", "--batch-size", "4",
        "--grad-accumulation", "1", "--max-length", "24", "--no-koleo", "--pooling", "mean",
        "--json",
    ]  # fmt: skip
    result = cli.invoke(main, args)
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    # one line per step as it happens, then the summary
    assert [e["step"] for e in events if e["event"] == "step"] == [1, 2, 3]
    assert all(e["losses"]["loss"] > 0 for e in events if e["event"] == "step")
    summary = events[-1]
    assert summary["event"] == "summary"
    assert (summary["status"], summary["steps"]) == ("completed", 3)
    assert summary["dev_before"]["xsim_cos_error"] >= 0
    assert "xsim_margin_error_src2trg" in summary["dev_after"]
    assert summary["validation"]["pairs_kept"] == 40
    exported = json.loads((output / "model" / "mexma_encoder.json").read_text())
    assert exported["pooling"] == "mean"
    assert exported["base"] == "tiny-cls"


def test_train_refuses_a_bitext_without_usable_pairs(
    cli: CliRunner, tmp_path: Path, tiny_cls_model_dir: Path
) -> None:
    empty = tmp_path / "empty.tsv"
    empty.write_text("en\tes\n\tx\n", encoding="utf-8")
    args = ["train", "--base", str(tiny_cls_model_dir), "--bitext", str(empty), "--output",
            str(tmp_path / "run")]  # fmt: skip
    result = cli.invoke(main, args)
    assert result.exit_code != 0
    assert "no usable pair" in result.output


def test_ctrl_c_stops_training_after_the_step_and_keeps_the_model(
    bitext: Path, tiny_cls_model_dir: Path, tmp_path: Path
) -> None:
    output = tmp_path / "run"
    args = [
        "train", "--base", str(tiny_cls_model_dir), "--bitext", str(bitext),
        "--output", str(output), "--held-out", "8", "--max-steps", "100000", "--batch-size", "4",
        "--grad-accumulation", "1", "--max-length", "24", "--no-koleo", "--json",
    ]  # fmt: skip
    code = "from mexma_search.cli import main; main()"
    env = {**os.environ, "MEXMA_DATA_DIR": str(tmp_path / "data"), "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = json.loads(process.stdout.readline())  # a step has been trained
        assert first["event"] == "step"
        process.send_signal(signal.SIGINT)
        rest, errors = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, errors
    summary = json.loads(rest.splitlines()[-1])
    assert summary["status"] == "cancelled"
    assert 1 <= summary["steps"] < 100000
    assert (output / "model" / "mexma_encoder.json").is_file()
    assert summary["checkpoint_dir"] is not None
