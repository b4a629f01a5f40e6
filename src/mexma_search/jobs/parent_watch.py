"""Ending a child process when the worker that started it dies.

A training child runs in its own session (so a Ctrl-C at the terminal reaches the server
alone), so a worker killed outright (SIGKILL, out of memory) would leave it training on, beside
the run that resumes the job at the next start. The worker names itself in the child's
environment; the child watches it and exits when it is gone, leaving its last checkpoint. A
rank under torchrun also watches the process that started it, torchrun's agent: a rank blocked
in a collective when its agent is killed never reads the stop request the agent sent first.
"""

from __future__ import annotations

import os
import threading

from mexma_search.app.processes import is_alive

PARENT_PID_VARIABLE = "MEXMA_PARENT_PID"
POLL_S = 1.0
# the exit status of a child whose worker died
PARENT_GONE_EXIT = 75


def parent_environment() -> dict[str, str]:
    """The variables that make a child started by this process watch it."""
    return {PARENT_PID_VARIABLE: str(os.getpid())}


def exit_with_parent() -> None:
    """Exit this process soon after the process named in the environment, or the one that
    started this process, is gone (nothing is watched when the environment names none)."""
    named = int(os.environ.get(PARENT_PID_VARIABLE, "0") or 0)
    if named <= 0:
        return
    watched = {named, os.getppid()}

    def watch() -> None:
        stopped = threading.Event()
        while not stopped.wait(POLL_S):
            if not all(is_alive(pid) for pid in watched):
                os._exit(PARENT_GONE_EXIT)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
