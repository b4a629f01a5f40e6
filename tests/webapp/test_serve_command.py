"""``mexma-search serve``, the README's first command, started as a user would start it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

STARTUP_TIMEOUT_S = 180


@pytest.mark.timeout(STARTUP_TIMEOUT_S + 240)  # startup, shutdown and the default model
def test_serve_starts_the_ui_and_stops_on_ctrl_c(tmp_path: Path, default_model_dir: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "MEXMA_DATA_DIR": str(tmp_path / "data"),
        "MEXMA_MODELS_DIR": str(default_model_dir.parent),
        "MEXMA_ADMIN_PASSWORD": "not-the-default",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    # the port comes from the option (without it the UI would listen on MEXMA_PORT's default)
    main = "from mexma_search.cli import main; main()"
    command = [sys.executable, "-c", main, "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        page = _wait_for_page(f"http://127.0.0.1:{port}/", process)
        assert "MEXMA Search" in page
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert "Index:" in output and "live model" in output
    assert (tmp_path / "data" / "mexma.db").is_file()


def _wait_for_page(url: str, process: subprocess.Popen[str]) -> str:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited early:\n{process.communicate()[0]}")
        try:
            response = httpx.get(url, timeout=5)
            if response.status_code == 200:
                return response.text
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"no page at {url} after {STARTUP_TIMEOUT_S} s")
