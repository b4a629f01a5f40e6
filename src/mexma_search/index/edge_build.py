"""Building the embedded index's search graphs in the background.

``python -m mexma_search.index.edge_build DIR`` optimises the Qdrant Edge shard in DIR (builds
its HNSW graph); :class:`BackgroundBuilder` runs it, in a child process, for every collection
that has taken enough new points since its last build.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from qdrant_edge import EdgeShard

from mexma_search.index.edge_collection import EdgeCollection

log = logging.getLogger(__name__)

# points written since the last build that make a collection worth rebuilding: below this,
# searching the unindexed points exactly costs a few milliseconds
DEFAULT_BUILD_THRESHOLD = 20_000
# ... and at least this share of the collection, since a build copies the whole shard
BUILD_FRACTION = 0.05
# seconds without writes before a build starts, so a running ingest is not copied mid-batch
QUIET_S = 2.0


class BuildError(RuntimeError):
    """Building a shard's search index failed."""


def optimize_in_child(path: Path, stop: threading.Event | None = None) -> None:
    """Optimise the shard at ``path`` in a child process (which frees the GIL here); ``stop``
    set ends the child early (BuildError)."""
    child = subprocess.Popen(
        [sys.executable, "-m", __name__, str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    while True:
        try:
            _, errors = child.communicate(timeout=0.5)
            break
        except subprocess.TimeoutExpired:
            if stop is not None and stop.is_set():
                child.kill()
                child.communicate()
                raise BuildError(f"building the index at {path} was stopped") from None
    if child.returncode != 0:
        raise BuildError(f"building the index at {path} failed: {errors.strip()[-2000:]}")


class BackgroundBuilder:
    """A daemon thread that rebuilds collections once ``threshold`` points (and BUILD_FRACTION
    of the collection) were written to them since their last build and writes have paused for a
    moment."""

    def __init__(
        self,
        collections: Callable[[], list[EdgeCollection]],
        threshold: int = DEFAULT_BUILD_THRESHOLD,
        quiet_s: float = QUIET_S,
    ) -> None:
        self._collections = collections
        self._threshold = threshold
        self._quiet_s = quiet_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="index-builder", daemon=True)
        self._thread.start()

    def written(self) -> None:
        """Note that points were written (a build may be due once writes pause)."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            # wait until no write arrived for quiet_s
            while self._wake.is_set() and not self._stop.is_set():
                self._wake.clear()
                self._stop.wait(self._quiet_s)
            for collection in self._collections():
                if self._stop.is_set():
                    return
                due = max(self._threshold, BUILD_FRACTION * collection.count())
                if collection.written_since_build >= due:
                    self._build(collection)

    def _build(self, collection: EdgeCollection) -> None:
        try:
            collection.rebuild(lambda path: optimize_in_child(path, self._stop))
            log.info("built the search index of %s", collection.directory.path.name)
        except Exception:  # the next writes try again; searches stay exact meanwhile
            if not self._stop.is_set():  # stopped on close: the next start builds again
                log.exception("building the search index of %s failed", collection.directory.path)

    def close(self) -> None:
        """Stop (a build in progress is abandoned: the next start builds again)."""
        self._stop.set()
        self._wake.set()
        self._thread.join()


def _optimize(path: str) -> None:
    shard = EdgeShard.load(path)
    try:
        shard.optimize()
        shard.flush()
    finally:
        shard.close()


if __name__ == "__main__":
    _optimize(sys.argv[1])
