"""Opening an index directory written by qdrant-client's local mode (earlier releases).

The directory is renamed to ``<name>.local-mode`` (kept: nothing is deleted), a Qdrant Edge
index is built in its place from every point, and a marker records that the copy finished. A
crash part-way leaves the original renamed and no marker: the next start copies again.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from tqdm import tqdm

from mexma_search.index.edge import EdgeIndex
from mexma_search.index.edge_storage import write_atomically
from mexma_search.index.qdrant_server import QdrantServerIndex

# warnings: a one-time migration of the user's data is always reported
log = logging.getLogger(__name__)

MARKER = "migrated-from-local-mode.txt"


def is_local_mode_directory(path: Path) -> bool:
    """True when ``path`` holds qdrant-client local-mode storage."""
    return (path / "meta.json").is_file() and (path / "collection").is_dir()


def original_of(root: Path) -> Path:
    """Where the local-mode original of ``root`` is kept after migration."""
    return root.with_name(root.name + ".local-mode")


def migrate_local_mode_directory(root: Path) -> bool:
    """Migrate ``root`` to Qdrant Edge if it is (or was being migrated from) a local-mode
    directory; True when a migration ran."""
    original = original_of(root)
    if is_local_mode_directory(root):
        if original.exists():
            raise RuntimeError(
                f"{root} holds local-mode storage and {original} exists too: move one away"
            )
        root.rename(original)
    elif not (original.exists() and not (root / MARKER).exists()):
        return False
    shutil.rmtree(root, ignore_errors=True)
    _copy(original, root)
    return True


def _copy(original: Path, root: Path) -> None:
    source = QdrantServerIndex.local(str(original))
    target = EdgeIndex(root)
    try:
        collections = source.chunk_collections()
        total = sum(source.count(name) for name in collections)
        log.warning(
            "migrating the vector index at %s to Qdrant Edge: %d points in %d collection(s); "
            "the original stays at %s",
            root,
            total,
            len(collections),
            original,
        )
        with tqdm(total=total, desc="migrating the index", unit="point") as progress:
            for name in collections:
                target.ensure_collection(name, source.dimension(name))
                for batch in source.export_points(name):
                    target.upsert(name, batch)
                    progress.update(len(batch))
        for alias, collection in source.aliases().items():
            target.swap_alias(alias, collection)
    finally:
        source.close()
        target.close()
    write_atomically(root / MARKER, f"migrated from {original}\n")
    log.warning(
        "migrated the vector index at %s; run `mexma-search doctor --repair` to give the "
        "migrated points keyword vectors for hybrid search",
        root,
    )
