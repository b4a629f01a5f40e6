"""``mexma-search search`` while ``serve`` holds the embedded index: the running app answers
over its HTTP API."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from backend_fixtures import free_port
from click.testing import CliRunner

from mexma_search.app.api_tokens import database_tokens
from mexma_search.app.running_app import announce_running_app, running_app_url
from mexma_search.app.settings import Settings
from mexma_search.cli import main
from mexma_search.index import IndexBusyError, open_index

STARTUP_TIMEOUT_S = 180


def _wait_for_app(settings: Settings, process: subprocess.Popen[str]) -> str:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited early:\n{process.communicate()[0]}")
        url = running_app_url(settings)
        if url is not None:
            return url
        time.sleep(0.3)
    raise AssertionError("serve did not record its URL")


@pytest.mark.timeout(STARTUP_TIMEOUT_S + 120)
def test_search_asks_the_running_app(
    tmp_path: Path,
    tiny_mean_model_dir: Path,
    default_model_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data_dir = tmp_path / "data"
    env = {
        "MEXMA_DATA_DIR": str(data_dir),
        "MEXMA_MODELS_DIR": str(default_model_dir.parent),
        "MEXMA_DEFAULT_MODEL": str(tiny_mean_model_dir),
        "MEXMA_DEVICE": "cpu",
        "MEXMA_CPU_THREADS": "1",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    document = tmp_path / "rivers.txt"
    document.write_text("The river flows under the old stone bridge.\n", encoding="utf-8")
    runner = CliRunner()
    queued = runner.invoke(main, ["ingest", str(document)])
    assert queued.exit_code == 0, queued.output
    process = subprocess.Popen(
        [sys.executable, "-c", "from mexma_search.cli import main; main()", "serve"],
        env={**os.environ, "MEXMA_PORT": str(free_port()), "GRADIO_ANALYTICS_ENABLED": "False"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        settings = Settings()
        _wait_for_app(settings, process)
        with pytest.raises(IndexBusyError):  # the index is serve's: only HTTP can reach it
            open_index(str(settings.qdrant_location))
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        found = runner.invoke(main, ["search", "bridge", "--json"])
        while '"rivers.txt"' not in found.output and time.monotonic() < deadline:
            time.sleep(0.5)  # serve's worker is still embedding the document
            found = runner.invoke(main, ["search", "bridge", "--json"])
        assert found.exit_code == 0, found.output
        assert '"document": "rivers.txt"' in found.output
        empty = runner.invoke(main, ["search", "   "])
        assert empty.exit_code != 0
        assert "the query is empty" in empty.output
        # the other read commands ask the app too, with a read token made for each command
        for command in (["documents", "list", "--json"], ["jobs", "list", "--json"]):
            listed = runner.invoke(main, command)
            assert listed.exit_code == 0 and "rivers.txt" in listed.output, listed.output
        with database_tokens(settings) as tokens:
            assert tokens.list_tokens() == []  # each command deleted its token
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert running_app_url(settings) is None  # serve removed its record


def test_a_record_left_by_a_dead_process_is_ignored(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    announce_running_app(settings, "http://127.0.0.1:1")
    assert running_app_url(settings) == "http://127.0.0.1:1"
    record = tmp_path / "serve.json"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    record.write_text(record.read_text().replace(str(os.getpid()), dead.stdout.strip()))
    assert running_app_url(settings) is None
