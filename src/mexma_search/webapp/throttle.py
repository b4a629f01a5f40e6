"""Login throttling: exponential backoff per client and per user name, in memory.

Every admitted attempt counts as a failure until :meth:`LoginThrottle.succeeded` says otherwise,
so concurrent attempts cannot slip past the check together. A client's own failures back off
that client only; a user name backs off when failures on it come from several clients (each
client's run of failures counts once), so one noisy client cannot lock the real admin out.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

FREE_FAILURES = 3
MAX_DELAY_S = 60.0
FORGET_AFTER_S = 15 * 60.0
MAX_ENTRIES = 10_000
MAX_NAME_CHARS = 128


def backoff_s(failures: int) -> float:
    """Seconds to wait after ``failures`` consecutive failures: none for the first few, then
    1, 2, 4 ... up to :data:`MAX_DELAY_S`."""
    if failures <= FREE_FAILURES:
        return 0.0
    return min(2.0 ** (failures - FREE_FAILURES - 1), MAX_DELAY_S)


@dataclass
class _Record:
    failures: int = 0
    blocked_until: float = 0.0
    seen: float = 0.0

    def fail(self, now: float) -> None:
        self.failures += 1
        self.blocked_until = now + backoff_s(self.failures)


class LoginThrottle:
    """Thread-safe throttle of login attempts, bounded to ``max_entries`` records."""

    def __init__(
        self,
        *,
        max_entries: int = MAX_ENTRIES,
        forget_after_s: float = FORGET_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._records: OrderedDict[tuple[str, str], _Record] = OrderedDict()
        self._lock = threading.Lock()
        self._max_entries = max_entries
        self._forget_after_s = forget_after_s
        self._clock = clock

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def admit(self, client: str, username: str) -> float:
        """0 when an attempt by ``client`` as ``username`` may go ahead (it then counts as a
        failure until :meth:`succeeded`); else the seconds left before it may."""
        with self._lock:
            now = self._clock()
            self._forget_stale(now)
            keys = (_client_key(client), _name_key(username))
            known = [self._records[key] for key in keys if key in self._records]
            wait = max((record.blocked_until for record in known), default=now) - now
            if wait > 0:
                return wait
            # records are made only for admitted attempts, which a flood of refused ones
            # therefore cannot push out
            by_client, by_name = (self._touch(key, now) for key in keys)
            if by_client.failures == 0:
                by_name.fail(now)
            by_client.fail(now)
            self._evict_over_capacity()
            return 0.0

    def succeeded(self, client: str, username: str) -> None:
        """Forget the failures of ``client`` and of ``username``."""
        with self._lock:
            self._records.pop(_client_key(client), None)
            self._records.pop(_name_key(username), None)

    def _touch(self, key: tuple[str, str], now: float) -> _Record:
        record = self._records.pop(key, None) or _Record()
        record.seen = now
        self._records[key] = record  # most recently seen last
        return record

    def _forget_stale(self, now: float) -> None:
        while self._records:
            oldest = next(iter(self._records.values()))
            if now - oldest.seen < self._forget_after_s:
                return
            self._records.popitem(last=False)

    def _evict_over_capacity(self) -> None:
        while len(self._records) > self._max_entries:
            self._records.popitem(last=False)


def _client_key(client: str) -> tuple[str, str]:
    return ("client", client)


def _name_key(username: str) -> tuple[str, str]:
    return ("user", username.strip()[:MAX_NAME_CHARS])


def retry_message(wait_s: float) -> str:
    """What a throttled client is told."""
    return f"Too many login attempts: try again in {math.ceil(wait_s)} s."
