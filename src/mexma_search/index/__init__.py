"""The vector index: one facade (:class:`VectorIndex`) over interchangeable Qdrant engines.

Embedded mode stores vectors with Qdrant Edge in this process (:class:`EdgeIndex`); distributed
mode on a Qdrant server (:class:`QdrantServerIndex`, whose local mode stands in for a server in
tests).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from mexma_search.index.base import IndexBusyError, VectorIndex
from mexma_search.index.edge import EdgeIndex
from mexma_search.index.migration import migrate_local_mode_directory
from mexma_search.index.points import (
    LIVE_ALIAS,
    ChunkPoint,
    Hit,
    collection_name,
    model_version_of,
    point_id,
)
from mexma_search.index.qdrant_server import QdrantServerIndex

Engine = Literal["edge", "qdrant-local"]

__all__ = [
    "LIVE_ALIAS",
    "ChunkPoint",
    "EdgeIndex",
    "Engine",
    "Hit",
    "IndexBusyError",
    "QdrantServerIndex",
    "VectorIndex",
    "collection_name",
    "model_version_of",
    "open_index",
    "point_id",
]


def open_index(
    location: str,
    *,
    engine: Engine = "edge",
    api_key: str | None = None,
    shards: int = 1,
    replicas: int = 1,
    quantization: bool = False,
) -> VectorIndex:
    """The index at ``location``: a Qdrant server at an http(s) URL; otherwise a directory
    (or ``':memory:'``, a temporary one) opened by ``engine``.

    A directory written by qdrant-client's local mode (earlier releases) is migrated to Qdrant
    Edge on first open, its original kept beside it.
    """
    if location.startswith(("http://", "https://")):
        return QdrantServerIndex.connect(location, api_key, shards=shards, replicas=replicas)
    if api_key is not None:
        raise ValueError("an API key only applies to a Qdrant server (an http(s) URL)")
    if engine == "qdrant-local":
        return QdrantServerIndex.local(location)
    if location == ":memory:":
        return EdgeIndex.temporary(quantization=quantization)
    root = Path(location).expanduser()
    migrate_local_mode_directory(root)
    return EdgeIndex(root, quantization=quantization)
