"""Fault: the embedded app is SIGKILLed in the middle of an ingest, then started again. Every
document ends indexed, the index holds exactly one point per passage, nothing twice."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from mexma_search.app.access import OPERATOR
from mexma_search.app.settings import Settings
from mexma_search.jobs.backends import open_services

DOCUMENTS = 40
TIMEOUT_S = 240
SENTENCES = [
    "The river flows under the old bridge.",
    "Trains leave the station every hour.",
    "Bread is baked before dawn in the village.",
    "The library opens at nine on weekdays.",
]


def _statuses(settings: Settings) -> list[str]:
    services = open_services(settings)
    try:
        return [d.status for d in services.list_documents(limit=10_000, caller=OPERATOR)]
    finally:
        services.runtime.close()


def _wait(settings: Settings, done: int, app: subprocess.Popen[str]) -> list[str]:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        assert app.poll() is None, "serve exited"
        statuses = _statuses(settings)
        if statuses.count("indexed") >= done:
            return statuses
        time.sleep(0.2)
    raise AssertionError(f"fewer than {done} documents indexed after {TIMEOUT_S} s")


@pytest.mark.timeout(2 * TIMEOUT_S + 120)
def test_an_app_killed_mid_ingest_finishes_after_a_restart_and_loses_nothing(
    tmp_path: Path,
    app_settings: Settings,
    start_serve: Callable[[Settings], subprocess.Popen[str]],
) -> None:
    settings = app_settings
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(DOCUMENTS):
        text = " ".join(SENTENCES[(n + i) % len(SENTENCES)] for i in range(12)) + f" Note {n}."
        (folder / f"note-{n:02}.txt").write_text(text, encoding="utf-8")
    services = open_services(settings)
    try:
        services.ingest_paths([folder], caller=OPERATOR)
    finally:
        services.runtime.close()

    first = start_serve(settings)
    try:
        _wait(settings, 1, first)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    at_kill = _statuses(settings)
    assert at_kill.count("indexed") < DOCUMENTS, "the ingest ended before the kill"

    second = start_serve(settings)
    try:
        statuses = _wait(settings, DOCUMENTS, second)
    finally:
        second.terminate()
        second.wait(60)
    assert statuses.count("indexed") == DOCUMENTS
    services = open_services(settings)
    try:
        report = services.doctor()
    finally:
        services.runtime.close()
    assert report.healthy, report
    assert report.documents == DOCUMENTS and report.points == report.chunks > DOCUMENTS
