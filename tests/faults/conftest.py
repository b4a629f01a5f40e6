"""Fixtures of the fault tests: a real ``mexma-search serve`` process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable

import pytest

from mexma_search.app.settings import Settings

StartServe = Callable[[Settings], subprocess.Popen[str]]


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
