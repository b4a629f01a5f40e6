"""Heartbeats of running jobs: one thread per process records that the jobs its handlers hold
are alive, so that only a job whose worker died goes silent long enough to be taken over."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from mexma_search.store import session_scope, touch_jobs

logger = logging.getLogger(__name__)


class Heartbeats:
    """Every ``interval_s``, one UPDATE marks alive the jobs of every handler inside
    :meth:`hold`, whatever the handler is doing (loading a model, parsing a large PDF).

    The thread starts with the first hold (never before a fork) and lives until :meth:`close`:
    one thread per job would cost more than the short jobs it watches.
    """

    def __init__(self, engine: Callable[[], Engine], interval_s: float) -> None:
        self._engine = engine
        self._interval_s = interval_s
        self._held: dict[int, set[int]] = {}
        self._lock = threading.Lock()
        # the running thread and the event that stops it (one each, so that a hold racing a
        # close starts a new thread instead of reviving the one being stopped)
        self._thread: tuple[threading.Thread, threading.Event] | None = None

    @contextmanager
    def hold(self, job_ids: set[int]) -> Iterator[None]:
        """Beat for the jobs in ``job_ids`` while the block runs. The set is read at every
        beat: the handler may add and remove jobs."""
        key = id(job_ids)
        with self._lock:
            self._held[key] = job_ids
            if self._thread is None:
                stop = threading.Event()
                thread = threading.Thread(
                    target=self._beat, args=(stop,), name="job-heartbeat", daemon=True
                )
                thread.start()
                self._thread = (thread, stop)
        try:
            yield
        finally:
            with self._lock:
                del self._held[key]

    def close(self) -> None:
        """Stop the thread (a later :meth:`hold` starts a new one)."""
        with self._lock:
            running, self._thread = self._thread, None
        if running is not None:
            thread, stop = running
            stop.set()
            thread.join()

    def _beat(self, stop: threading.Event) -> None:
        while not stop.wait(self._interval_s):
            with self._lock:
                # set.union copies each set in one step: handlers may change theirs meanwhile
                alive = frozenset[int]().union(*self._held.values())
            if not alive:
                continue
            try:
                with session_scope(self._engine()) as session:
                    touch_jobs(session, alive)
            except Exception:  # the next beat tries again; progress() reports real trouble
                logger.warning("heartbeat of jobs %s failed", sorted(alive), exc_info=True)
