"""Searches and background work take turns at the encoder: one batch at a time, searches
first, and background work still advances while searches keep coming."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
import torch

from mexma_search.app.encoder_gate import (
    BACKGROUND_BATCH_TOKENS,
    EncoderGate,
    background_batch_tokens,
)
from mexma_search.encoder.encode import DEFAULT_MAX_BATCH_TOKENS

WAIT_S = 5.0
Turn = Callable[[], AbstractContextManager[object]]


class Batches:
    """Threads that each run one batch inside a turn of the gate, recording the order the
    batches ran in and whether two ever overlapped."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self.running = 0
        self.overlapped = False
        self._lock = threading.Lock()
        self.threads: list[threading.Thread] = []

    def start(self, name: str, turn: Turn, release: threading.Event | None = None) -> None:
        def batch() -> None:
            with turn():
                with self._lock:
                    self.running += 1
                    self.overlapped |= self.running > 1
                    self.order.append(name)
                if release is not None:
                    assert release.wait(WAIT_S)
                with self._lock:
                    self.running -= 1

        thread = threading.Thread(target=batch, name=name)
        self.threads.append(thread)
        thread.start()

    def wait_until_started(self, count: int) -> None:
        deadline = time.monotonic() + WAIT_S
        while len(self.order) < count:
            assert time.monotonic() < deadline, f"only {self.order} started"
            time.sleep(0.005)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(WAIT_S)
            assert not thread.is_alive()


def waiting(gate: EncoderGate, searches: int = 0, background: int = 0) -> None:
    """Wait until the gate has that many searches and background batches waiting."""
    deadline = time.monotonic() + WAIT_S
    while (gate._searches_waiting, gate._background_waiting) != (searches, background):
        assert time.monotonic() < deadline
        time.sleep(0.005)


def test_a_search_runs_before_the_next_background_batch() -> None:
    gate = EncoderGate()
    batches = Batches()
    first_done = threading.Event()
    batches.start("ingest 1", gate.background, release=first_done)
    batches.wait_until_started(1)
    batches.start("ingest 2", gate.background)
    waiting(gate, background=1)
    batches.start("search", gate.search)
    waiting(gate, searches=1, background=1)
    first_done.set()
    batches.join()
    assert batches.order == ["ingest 1", "search", "ingest 2"]
    assert not batches.overlapped


def test_background_work_gets_a_turn_while_searches_keep_waiting() -> None:
    gate = EncoderGate()
    batches = Batches()
    releases = [threading.Event() for _ in range(3)]
    batches.start("search 1", gate.search, release=releases[0])
    batches.wait_until_started(1)
    batches.start("ingest", gate.background, release=releases[1])
    waiting(gate, background=1)
    batches.start("search 2", gate.search, release=releases[2])
    batches.start("search 3", gate.search)
    waiting(gate, searches=2, background=1)
    releases[0].set()
    batches.wait_until_started(2)
    # the searches waited behind one background batch, not behind all background work
    assert batches.order == ["search 1", "ingest"]
    releases[1].set()
    releases[2].set()
    batches.join()
    assert batches.order[2:] in (["search 2", "search 3"], ["search 3", "search 2"])
    assert not batches.overlapped


def test_without_searches_background_batches_run_one_at_a_time() -> None:
    gate = EncoderGate()
    batches = Batches()
    release = threading.Event()
    for n in range(4):
        batches.start(f"ingest {n}", gate.background, release=release)
    batches.wait_until_started(1)
    waiting(gate, background=3)
    release.set()
    batches.join()
    assert len(batches.order) == 4 and not batches.overlapped


def test_a_failed_batch_gives_its_turn_back() -> None:
    gate = EncoderGate()
    with pytest.raises(RuntimeError), gate.search():
        raise RuntimeError("the encoder failed")
    with pytest.raises(RuntimeError), gate.background():
        raise RuntimeError("the encoder failed")
    batches = Batches()
    batches.start("search", gate.search)
    batches.start("ingest", gate.background)
    batches.join()
    assert sorted(batches.order) == ["ingest", "search"]


def test_background_batches_are_small_on_a_cpu_only() -> None:
    assert background_batch_tokens(torch.device("cpu")) == BACKGROUND_BATCH_TOKENS
    assert BACKGROUND_BATCH_TOKENS < DEFAULT_MAX_BATCH_TOKENS
    assert background_batch_tokens(torch.device("cuda")) == DEFAULT_MAX_BATCH_TOKENS
