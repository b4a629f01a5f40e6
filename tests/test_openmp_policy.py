"""Importing the package makes torch's idle OpenMP threads sleep unless told otherwise."""

from __future__ import annotations

import os
import subprocess
import sys

SHOW_POLICY = "import mexma_search, os; print(os.environ['OMP_WAIT_POLICY'])"


def policy_after_import(environment: dict[str, str]) -> str:
    shown = subprocess.run(
        [sys.executable, "-c", SHOW_POLICY], env=environment, capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    return shown.stdout.strip()


def test_idle_openmp_threads_sleep_by_default() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    assert policy_after_import(environment) == "PASSIVE"


def test_an_explicit_wait_policy_is_kept() -> None:
    assert policy_after_import({**os.environ, "OMP_WAIT_POLICY": "ACTIVE"}) == "ACTIVE"
