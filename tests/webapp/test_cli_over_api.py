"""The CLI's read commands (search, documents list, jobs list/show) asking a launched app's
HTTP API (MEXMA_API_URL, MEXMA_API_TOKEN) from a data directory of their own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mexma_search.app.settings import get_settings
from mexma_search.cli import main

JOB_TIMEOUT_S = 120
DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"


@pytest.fixture
def cli(tiny_app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The command line, pointed at the app with a read token (its own data directory is
    empty, so every answer comes from the app)."""
    token = tiny_app.services.tokens.create("cli test", "admin", "read").secret
    monkeypatch.setenv("MEXMA_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("MEXMA_API_URL", tiny_app.url)
    monkeypatch.setenv("MEXMA_API_TOKEN", token)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _json(cli: CliRunner, *arguments: str) -> object:
    result = cli.invoke(main, [*arguments, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_read_commands_ask_the_app(cli: CliRunner, tiny_app: Any) -> None:
    job_ids = tiny_app.services.ingest_paths([DOCS / "river_en.txt"], "cli-api")
    tiny_app.services.wait_for_jobs(job_ids, JOB_TIMEOUT_S)

    found = _json(cli, "search", "bridge", "--collection", "cli-api")
    assert isinstance(found, list) and [r["document"] for r in found] == ["river_en.txt"]
    human = cli.invoke(main, ["search", "bridge", "--passages"])
    assert human.exit_code == 0 and "river_en.txt" in human.output

    documents = _json(cli, "documents", "list", "--collection", "cli-api")
    assert isinstance(documents, list)
    assert [(d["filename"], d["status"]) for d in documents] == [("river_en.txt", "indexed")]
    jobs = _json(cli, "jobs", "list", "--kind", "ingest")
    assert isinstance(jobs, list) and job_ids[0] in {job["id"] for job in jobs}
    shown = _json(cli, "jobs", "show", str(job_ids[0]))
    assert isinstance(shown, dict) and shown["status"] == "succeeded"
    listing = cli.invoke(main, ["jobs", "list"])
    assert listing.exit_code == 0 and "river_en.txt" in listing.output

    missing = cli.invoke(main, ["jobs", "show", "999999"])
    assert missing.exit_code != 0 and "no job 999999" in missing.output
    empty = cli.invoke(main, ["search", "   "])
    assert empty.exit_code != 0 and "the query is empty" in empty.output


def test_a_bad_or_missing_token_is_a_clear_error(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEXMA_API_TOKEN", "mxs_wrong")
    get_settings.cache_clear()
    refused = cli.invoke(main, ["documents", "list"])
    assert refused.exit_code != 0 and "unknown API token" in refused.output
    monkeypatch.delenv("MEXMA_API_TOKEN")
    get_settings.cache_clear()
    missing = cli.invoke(main, ["jobs", "list"])
    assert missing.exit_code != 0 and "set MEXMA_API_TOKEN" in missing.output
