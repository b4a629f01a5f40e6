"""Content hashes for duplicate detection."""

from __future__ import annotations

import hashlib
from pathlib import Path

_READ_BYTES = 1 << 20


def content_hash(source: Path | bytes) -> str:
    """The SHA-256 hex digest of a file's bytes (read in chunks) or of ``source`` itself."""
    digest = hashlib.sha256()
    if isinstance(source, bytes):
        digest.update(source)
        return digest.hexdigest()
    with source.open("rb") as file:
        while block := file.read(_READ_BYTES):
            digest.update(block)
    return digest.hexdigest()
