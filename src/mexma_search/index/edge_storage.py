"""The embedded index's directory: a lock, the alias record, and each collection's shard
generations.

    <root>/.lock                          held (flock) by the one process using the index
    <root>/aliases.json                   alias -> collection (the live switch)
    <root>/shards/<collection>/CURRENT    the generation in use
    <root>/shards/<collection>/<n>/       a Qdrant Edge shard

Every record is replaced atomically (written aside, fsynced, renamed), so a crash at any point
leaves either the old or the new record; generation directories that no record names (a build
cut short, a replaced generation) are removed when the collection is opened.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path
from typing import IO

from mexma_search.index.base import IndexBusyError

ALIASES_FILE = "aliases.json"
SHARDS_DIR = "shards"
CURRENT_FILE = "CURRENT"


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that readers (and a crash) see the old or the new file."""
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def lock_directory(root: Path) -> IO[bytes]:
    """Hold ``root``'s lock for this process; IndexBusyError when another process holds it."""
    root.mkdir(parents=True, exist_ok=True)
    handle = (root / ".lock").open("ab")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise IndexBusyError(
            f"the vector index at {root} is open in another process (is `mexma-search serve` "
            "running?)"
        ) from None
    return handle


class AliasRecord:
    """The aliases (alias -> collection) kept in one JSON file, read once: the index directory
    is held by one process (:func:`lock_directory`), so only this record writes the file."""

    def __init__(self, root: Path) -> None:
        self._path = root / ALIASES_FILE
        self._aliases: dict[str, str] | None = None

    def read(self) -> dict[str, str]:
        """Every alias and the collection it names (a copy)."""
        if self._aliases is None:
            self._aliases = self._read_file()
        return dict(self._aliases)

    def _read_file(self) -> dict[str, str]:
        if not self._path.exists():
            return {}
        aliases = json.loads(self._path.read_text(encoding="utf-8"))
        if not isinstance(aliases, dict):
            raise ValueError(f"{self._path} is not an alias record (a JSON object)")
        return {str(alias): str(target) for alias, target in aliases.items()}

    def write(self, aliases: dict[str, str]) -> None:
        """Replace the record with ``aliases`` atomically."""
        write_atomically(self._path, json.dumps(aliases, indent=2, sort_keys=True))
        self._aliases = dict(aliases)


class CollectionDirectory:
    """One collection's shard generations under ``<root>/shards/<name>``."""

    def __init__(self, root: Path, name: str) -> None:
        self.path = root / SHARDS_DIR / name

    def exists(self) -> bool:
        """True when the collection has a generation in use."""
        return (self.path / CURRENT_FILE).exists()

    def current(self) -> int:
        """The number of the generation in use."""
        return int((self.path / CURRENT_FILE).read_text(encoding="ascii").strip())

    def generation(self, number: int) -> Path:
        """The directory of generation ``number``."""
        return self.path / str(number)

    def set_current(self, number: int) -> None:
        """Make generation ``number`` the one in use (atomically)."""
        self.path.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path / CURRENT_FILE, f"{number}\n")

    def remove_unused_generations(self) -> None:
        """Delete every generation directory but the current one."""
        keep = str(self.current())
        for entry in self.path.iterdir():
            if entry.is_dir() and entry.name != keep:
                shutil.rmtree(entry)

    def remove(self) -> None:
        """Delete the collection (the record first, so a crash leaves no half collection)."""
        (self.path / CURRENT_FILE).unlink(missing_ok=True)
        shutil.rmtree(self.path, ignore_errors=True)


def collection_names(root: Path) -> list[str]:
    """The collections with a generation in use."""
    shards = root / SHARDS_DIR
    if not shards.is_dir():
        return []
    return sorted(entry.name for entry in shards.iterdir() if (entry / CURRENT_FILE).exists())
