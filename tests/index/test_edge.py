"""The embedded (Qdrant Edge) index: background builds, crash safety, the directory lock, and
the migration of directories written by qdrant-client's local mode."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from mexma_search.index import (
    LIVE_ALIAS,
    ChunkPoint,
    EdgeIndex,
    IndexBusyError,
    QdrantServerIndex,
    collection_name,
    open_index,
)
from mexma_search.index.edge_build import BuildError, optimize_in_child
from mexma_search.index.edge_storage import CollectionDirectory
from mexma_search.index.migration import MARKER, original_of

DIM = 16
V1 = collection_name("v1")


def _points(n: int, seed: int = 0, first_document: int = 1) -> list[ChunkPoint]:
    rng = np.random.default_rng(seed)
    return [
        ChunkPoint(
            chunk_id=first_document * 1000 + i,
            document_id=first_document + i // 10,
            ordinal=i % 10,
            collection=("news", "papers")[i % 2],
            lang=("en", "sv", "ja")[i % 3],
            vector=rng.standard_normal(DIM),
            sentence_vectors=rng.standard_normal((2, DIM)) if i % 4 == 0 else None,
        )
        for i in range(n)
    ]


def _ranked(index: EdgeIndex, query: np.ndarray, exact: bool) -> list[int]:
    return [hit.chunk_id for hit in index.search(query, 10, target=V1, exact=exact)]


def test_a_built_graph_finds_what_exact_search_finds(tmp_path: Path) -> None:
    index = EdgeIndex(tmp_path / "index")
    index.ensure_collection(V1, DIM)
    index.upsert(V1, _points(3000))
    queries = np.random.default_rng(5).standard_normal((20, DIM))
    before = [_ranked(index, q, exact=True) for q in queries]
    index.build(V1)
    after = [_ranked(index, q, exact=False) for q in queries]
    overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(before, after, strict=True)])
    assert overlap >= 0.95
    assert index.count(V1) == 3000
    index.close()


def test_searches_answer_and_writes_survive_while_a_graph_is_built(tmp_path: Path) -> None:
    index = EdgeIndex(tmp_path / "index")
    index.ensure_collection(V1, DIM)
    index.upsert(V1, _points(3000))
    query = np.random.default_rng(1).standard_normal(DIM)
    building = threading.Event()
    searches_during_build: list[int] = []

    def slow_optimize(path: Path) -> None:
        building.set()
        optimize_in_child(path)
        time.sleep(0.5)

    builder = threading.Thread(target=index._collection(V1).rebuild, args=(slow_optimize,))
    builder.start()
    building.wait()
    # written during the build: journaled and replayed on the new generation
    index.upsert(V1, _points(50, seed=9, first_document=900))
    index.delete_document(1)
    while builder.is_alive():
        searches_during_build.append(len(index.search(query, 5, target=V1)))
    builder.join()
    assert searches_during_build and set(searches_during_build) == {5}
    assert index.count(V1) == 3000 + 50 - 10
    ids = index.chunk_ids_by_document(V1)
    assert 1 not in ids and 900 in ids
    index.close()
    reopened = EdgeIndex(tmp_path / "index")
    assert reopened.count(V1) == 3040
    assert [p.name for p in (tmp_path / "index/shards" / V1).iterdir() if p.is_dir()] == ["1"]
    reopened.close()


def test_the_background_builder_rebuilds_once_enough_points_were_written(tmp_path: Path) -> None:
    index = EdgeIndex(tmp_path / "index", build_threshold=500, build_quiet_s=0.1)
    index.ensure_collection(V1, DIM)
    directory = CollectionDirectory(tmp_path / "index", V1)
    index.upsert(V1, _points(400))
    time.sleep(1.0)
    assert directory.current() == 0  # below the threshold: searched exactly, no build
    index.upsert(V1, _points(200, seed=1, first_document=100))
    deadline = time.monotonic() + 60
    while directory.current() == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert directory.current() == 1
    assert index.count(V1) == 600
    index.close()


def test_a_failed_build_leaves_the_current_shard_in_use(tmp_path: Path) -> None:
    index = EdgeIndex(tmp_path / "index")
    index.ensure_collection(V1, DIM)
    index.upsert(V1, _points(100))

    def failing_optimize(path: Path) -> None:
        raise BuildError("no disk space")

    with pytest.raises(BuildError):
        index._collection(V1).rebuild(failing_optimize)
    index.upsert(V1, _points(10, seed=2, first_document=500))
    assert index.count(V1) == 110
    assert not (tmp_path / "index/shards" / V1 / "1").exists()
    index.close()


def test_a_build_cut_short_by_a_crash_is_discarded_on_open(tmp_path: Path) -> None:
    root = tmp_path / "index"
    index = EdgeIndex(root)
    index.ensure_collection(V1, DIM)
    index.upsert(V1, _points(100))
    index.swap_alias(LIVE_ALIAS, V1)
    index.close()
    directory = CollectionDirectory(root, V1)
    leftover = directory.generation(1)
    leftover.mkdir()
    (leftover / "half-written").write_text("x")
    reopened = EdgeIndex(root)
    assert reopened.count(LIVE_ALIAS) == 100
    assert not leftover.exists()
    reopened.close()


def test_an_alias_switch_cut_short_leaves_the_previous_record(tmp_path: Path) -> None:
    root = tmp_path / "index"
    index = EdgeIndex(root)
    v2 = collection_name("v2")
    for name in (V1, v2):
        index.ensure_collection(name, DIM)
    index.swap_alias(LIVE_ALIAS, V1)
    index.close()
    # a crash while writing the new record: the record aside is half written, never renamed
    (root / ".aliases.json.tmp").write_text('{"chunks": "chunks__v', encoding="utf-8")
    reopened = EdgeIndex(root)
    assert reopened.alias_target() == V1
    reopened.swap_alias(LIVE_ALIAS, v2)
    assert reopened.alias_target() == v2
    reopened.close()
    final = EdgeIndex(root)
    assert final.alias_target() == v2
    final.close()


def test_searches_read_the_alias_record_from_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = EdgeIndex(tmp_path / "index")
    index.ensure_collection(V1, DIM)
    index.upsert(V1, _points(20))
    index.swap_alias(LIVE_ALIAS, V1)
    file_reads: list[Path] = []
    read_text = Path.read_text

    def counted(path: Path, *args: object, **kwargs: object) -> str:
        file_reads.append(path)
        return read_text(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", counted)
    for _ in range(3):
        assert index.search(np.ones(DIM), 2, with_sentence_vectors=True)
    assert index.alias_target() == V1
    assert [path for path in file_reads if path.name == "aliases.json"] == []
    index.close()


def test_a_second_process_cannot_open_the_same_directory(tmp_path: Path) -> None:
    index = EdgeIndex(tmp_path / "index")
    with pytest.raises(IndexBusyError, match="another process"):
        EdgeIndex(tmp_path / "index")
    index.close()
    EdgeIndex(tmp_path / "index").close()


def test_the_alias_record_switches_and_drops_with_its_collection(tmp_path: Path) -> None:
    index = EdgeIndex(tmp_path / "index")
    v2 = collection_name("v2")
    for name in (V1, v2):
        index.ensure_collection(name, DIM)
    index.upsert(v2, _points(5))
    index.swap_alias(LIVE_ALIAS, V1)
    index.swap_alias(LIVE_ALIAS, v2)
    assert index.alias_target() == v2 and index.count(LIVE_ALIAS) == 5
    with pytest.raises(ValueError, match="no collection"):
        index.swap_alias(LIVE_ALIAS, collection_name("missing"))
    assert index.drop_collection(v2)
    assert index.alias_target() is None
    assert not index.drop_collection(v2)
    index.close()


def test_quantized_passage_vectors_still_rank_by_cosine(tmp_path: Path) -> None:
    index = EdgeIndex(tmp_path / "index", quantization=True)
    index.ensure_collection(V1, DIM)
    points = _points(2000)
    index.upsert(V1, points)
    index.build(V1)
    hits = index.search(points[17].vector, 3, target=V1)
    assert hits[0].chunk_id == points[17].chunk_id
    assert hits[0].score == pytest.approx(1.0, abs=1e-3)
    index.close()


def _local_mode_directory(path: Path, points: list[ChunkPoint]) -> None:
    local = QdrantServerIndex.local(str(path))
    local.ensure_collection(V1, DIM)
    local.upsert(V1, points)
    local.swap_alias(LIVE_ALIAS, V1)
    local.close()


def test_a_local_mode_directory_is_migrated_with_every_point(tmp_path: Path) -> None:
    root = tmp_path / "qdrant"
    points = _points(120)
    _local_mode_directory(root, points)
    index = open_index(str(root))
    assert isinstance(index, EdgeIndex)
    assert index.alias_target() == V1
    assert index.count(LIVE_ALIAS) == 120
    hits = index.search(points[4].vector, 1, with_sentence_vectors=True)  # one with sentences
    assert hits[0].chunk_id == points[4].chunk_id
    assert hits[0].sentence_vectors is not None and hits[0].sentence_vectors.shape == (2, DIM)
    index.close()
    assert (original_of(root) / "meta.json").exists()  # the original is kept
    open_index(str(root)).close()  # a second open does not migrate again
    assert (root / MARKER).exists()


def test_a_migration_cut_short_runs_again(tmp_path: Path) -> None:
    root = tmp_path / "qdrant"
    _local_mode_directory(root, _points(30))
    root.rename(original_of(root))
    root.mkdir()  # a crash after the rename, before the copy finished
    (root / "partial").write_text("x")
    index = open_index(str(root))
    assert index.count(LIVE_ALIAS) == 30
    index.close()
