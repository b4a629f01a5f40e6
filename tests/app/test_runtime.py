"""The per-process runtime: the index and database it opens for the settings."""

from __future__ import annotations

from pathlib import Path

from mexma_search.app.runtime import open_index
from mexma_search.app.settings import Settings
from mexma_search.index import collection_name


def test_open_index_opens_the_configured_directory(tmp_path: Path) -> None:
    index = open_index(Settings(data_dir=tmp_path, _env_file=None))
    index.ensure_collection(collection_name("v1"), 8)
    index.close()
    assert (tmp_path / "qdrant").is_dir()
