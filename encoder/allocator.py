"""Keep freed heap memory in the process while a CPU training run allocates the same sizes
every step.

glibc serves large allocations with ``mmap`` and returns them to the kernel on free, so a
training step that frees and re-allocates gigabytes of activations pays a page fault for every
4 KiB page, every step: on a 2-core machine that was a third of a step's time. Inside
:func:`retained_heap` large blocks come from the heap and freed memory stays mapped for the
next step; on exit the defaults return and the heap is trimmed, so an embedded server does not
keep a training run's peak. Other C libraries (musl, macOS, Windows) are left as they are.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
from collections.abc import Iterator

logger = logging.getLogger(__name__)

# mallopt parameters (malloc.h) and glibc's defaults for them.
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_MAX = -1, -2, -4
DEFAULT_TRIM_THRESHOLD = 128 * 1024
DEFAULT_TOP_PAD = 128 * 1024
DEFAULT_MMAP_MAX = 65536
RETAINED_TOP_PAD = 256 * 2**20
NEVER_TRIM = 2**31 - 1  # mallopt takes an int


def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.gnu_get_libc_version  # noqa: B018  (present in glibc only)
    except (OSError, AttributeError):
        return None
    return libc


@contextlib.contextmanager
def retained_heap() -> Iterator[bool]:
    """Within the block, keep freed memory mapped (glibc only); yields whether it applies."""
    libc = _glibc()
    if libc is None:
        yield False
        return
    libc.mallopt(M_MMAP_MAX, 0)
    libc.mallopt(M_TRIM_THRESHOLD, NEVER_TRIM)
    libc.mallopt(M_TOP_PAD, RETAINED_TOP_PAD)
    try:
        yield True
    finally:
        libc.mallopt(M_MMAP_MAX, DEFAULT_MMAP_MAX)
        libc.mallopt(M_TRIM_THRESHOLD, DEFAULT_TRIM_THRESHOLD)
        libc.mallopt(M_TOP_PAD, DEFAULT_TOP_PAD)
        libc.malloc_trim(0)
