"""Fixtures of the command-line tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from mexma_search.app.settings import get_settings


@pytest.fixture
def cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_model_dir: Path
) -> Iterator[CliRunner]:
    monkeypatch.setenv("MEXMA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEXMA_MODELS_DIR", str(default_model_dir.parent))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()
