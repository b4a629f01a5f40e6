"""A training child exits when its worker, or the process that started it, is gone."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from mexma_search.app.processes import is_alive
from mexma_search.jobs.parent_watch import PARENT_GONE_EXIT, PARENT_PID_VARIABLE

WATCHING_CHILD = (
    "import time\n"
    "from mexma_search.jobs.parent_watch import exit_with_parent\n"
    "exit_with_parent()\n"
    "time.sleep(60)\n"
)
# starts WATCHING_CHILD, prints its pid and stays until killed: torchrun's agent in small
LAUNCHER = (
    "import subprocess, sys, time\n"
    f"child = subprocess.Popen([sys.executable, '-c', {WATCHING_CHILD!r}])\n"
    "print(child.pid, flush=True)\n"
    "time.sleep(60)\n"
)
WAIT_S = 15


def _environment(parent_pid: int) -> dict[str, str]:
    return {**os.environ, PARENT_PID_VARIABLE: str(parent_pid)}


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not is_alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_the_child_exits_when_the_named_worker_is_gone() -> None:
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    child = subprocess.Popen([sys.executable, "-c", WATCHING_CHILD], env=_environment(worker.pid))
    try:
        time.sleep(1.0)
        assert child.poll() is None  # its worker lives: it runs on
        worker.kill()
        worker.wait()
        assert child.wait(WAIT_S) == PARENT_GONE_EXIT
    finally:
        for process in (worker, child):
            process.kill()
            process.wait()


def test_a_rank_exits_when_its_launcher_is_gone_while_the_worker_lives() -> None:
    launcher = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER], env=_environment(os.getpid()), stdout=subprocess.PIPE
    )
    assert launcher.stdout is not None
    rank = int(launcher.stdout.readline())
    try:
        time.sleep(1.0)
        assert is_alive(rank)
        launcher.kill()
        launcher.wait()
        assert _gone_within(rank, WAIT_S)
    finally:
        launcher.kill()
        launcher.wait()
        if is_alive(rank):
            os.kill(rank, 9)


def test_without_a_named_worker_nothing_is_watched() -> None:
    environment = {k: v for k, v in os.environ.items() if k != PARENT_PID_VARIABLE}
    code = WATCHING_CHILD.replace("time.sleep(60)", "time.sleep(2.5)")
    launcher = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER.replace(repr(WATCHING_CHILD), repr(code))],
        env=environment,
        stdout=subprocess.PIPE,
    )
    assert launcher.stdout is not None
    rank = int(launcher.stdout.readline())
    launcher.kill()
    launcher.wait()
    time.sleep(1.5)
    try:
        assert is_alive(rank)  # orphaned but not told to watch: it finishes its work
    finally:
        if is_alive(rank):
            os.kill(rank, 9)
