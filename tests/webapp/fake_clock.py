"""A clock for tests of time-based rules (throttles, expiries)."""

from __future__ import annotations


class FakeClock:
    """A clock the test moves by hand (``now`` in seconds)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
