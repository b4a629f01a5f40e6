"""Atomic directory writes: write into a temporary sibling, then rename it into place.

Under the final name there is only ever a complete directory: the old one, the new one, or
(for an instant while replacing, or after a crash in that instant) none.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def temporary_path(final: Path) -> Path:
    """The sibling that :func:`fresh_temporary` writes ``final`` into."""
    return final.with_name(final.name + ".tmp")


def replace_directory(temporary: Path, final: Path) -> None:
    """Move a fully written ``temporary`` directory to ``final``, replacing what was there."""
    if final.exists():
        old = final.with_name(final.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        final.rename(old)
        temporary.rename(final)
        shutil.rmtree(old)
    else:
        temporary.rename(final)


def fresh_temporary(final: Path) -> Path:
    """An empty sibling directory of ``final`` to write into before :func:`replace_directory`."""
    temporary = temporary_path(final)
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir(parents=True)
    return temporary


@contextmanager
def atomic_directory(final: Path) -> Iterator[Path]:
    """An empty directory to write into; it replaces ``final`` when the block succeeds.

    When the block raises, the temporary directory is removed and ``final`` is untouched.
    """
    temporary = fresh_temporary(final)
    try:
        yield temporary
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    replace_directory(temporary, final)
