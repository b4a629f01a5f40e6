"""``evaluate-retrieval`` on the tiny retrieval set with the tiny model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mexma_search.app.settings import get_settings
from mexma_search.cli import main

pytestmark = pytest.mark.filterwarnings("ignore:Failed to obtain server version:UserWarning")

TINY_SET = Path(__file__).resolve().parents[1] / "data" / "retrieval"


@pytest.fixture
def env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_mean_model_dir: Path
) -> Iterator[None]:
    monkeypatch.setenv("MEXMA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEXMA_DEVICE", "cpu")
    monkeypatch.setenv("MEXMA_CPU_THREADS", "1")
    monkeypatch.setenv("MEXMA_DEFAULT_MODEL", str(tiny_mean_model_dir))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_evaluate_retrieval_prints_the_table_and_json(env: None) -> None:
    ingested = _run("ingest", str(TINY_SET / "corpus"), "--collection", "dev", "--wait")
    assert ingested.exit_code == 0, ingested.output
    queries = str(TINY_SET / "queries.jsonl")
    table = _run("evaluate-retrieval", "--queries", queries, "--collection", "dev")
    assert table.exit_code == 0, table.output
    rows = [line.split() for line in table.output.splitlines()[2:]]
    assert [row[:3] for row in rows][-1] == ["dense", "all", "8"]
    assert {row[1] for row in rows} >= {"en->en", "fr->es"}
    both = _run(
        "evaluate-retrieval", "--queries", queries, "--collection", "dev", "--mode", "both",
        "--json",
    )  # fmt: skip
    assert both.exit_code == 0, both.output
    report = json.loads(both.stdout)
    assert [mode["mode"] for mode in report["modes"]] == ["dense", "hybrid"]
    for mode in report["modes"]:
        assert mode["all"]["n"] == 8
        assert 0 <= mode["all"]["recall@1"] <= mode["all"]["recall@10"] <= 100
    wrong = _run("evaluate-retrieval", "--queries", queries, "--collection", "nope")
    assert wrong.exit_code == 1 and "collection 'nope' has no documents" in wrong.output
