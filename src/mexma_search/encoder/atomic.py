"""Atomic directory writes: write into a temporary sibling, then rename it into place."""

from __future__ import annotations

import shutil
from pathlib import Path


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
    temporary = final.with_name(final.name + ".tmp")
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir(parents=True)
    return temporary
