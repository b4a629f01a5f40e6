"""Fixtures of the fault tests: a real ``mexma-search serve`` process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mexma_search.app.settings import Settings

StartServe = Callable[[Settings], subprocess.Popen[str]]


@pytest.fixture
def app_settings(tmp_path: Path, tiny_mean_model_dir: Path, default_model_dir: Path) -> Settings:
    """Embedded settings in ``tmp_path/data``: the tiny model, on one CPU thread, small batches
    (so that a kill lands mid-work)."""
    return Settings(
        data_dir=tmp_path / "data",
        models_dir=default_model_dir.parent,
        default_model=str(tiny_mean_model_dir),
        device="cpu",
        cpu_threads=1,
        encode_batch_size=2,
        embed_gather_chunks=4,
    )


@pytest.fixture
def start_serve() -> StartServe:
    """Starts ``mexma-search serve`` with the given settings, on one free port for the test (a
    restarted app listens where the first one did)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    def start(settings: Settings) -> subprocess.Popen[str]:
        environment = {
            **os.environ,
            **settings.as_environment(),
            "MEXMA_PORT": str(port),
            "MEXMA_ADMIN_PASSWORD": "not-the-default",
            "GRADIO_ANALYTICS_ENABLED": "False",
        }
        return subprocess.Popen(
            [sys.executable, "-c", "from mexma_search.cli import main; main()", "serve"],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    return start
