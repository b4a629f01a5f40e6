"""One collection of the embedded index: a Qdrant Edge shard, its writes, and its rebuilds.

Qdrant Edge builds the HNSW graph in ``optimize()``, which holds the GIL until it ends: run in
the serving process it would stop every search for the whole build. A rebuild therefore
happens on a copy, in a child process: the shard is flushed and copied to the next generation
(writes wait for the copy only), the child optimises the copy, and meanwhile writes go on
against the current shard and are also journaled; then the new generation is loaded, the
journal replayed on it, and it replaces the current one between two searches.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from qdrant_edge import (
    CountRequest,
    Distance,
    EdgeConfig,
    EdgeShard,
    EdgeSparseVectorParams,
    EdgeVectorParams,
    FieldCondition,
    Filter,
    HnswIndexConfig,
    MatchAny,
    Memory,
    Modifier,
    MultiVectorComparator,
    MultiVectorConfig,
    PayloadSchemaType,
    Point,
    ScalarQuantizationConfig,
    ScalarType,
    UpdateOperation,
    VectorStorageDatatype,
)

from mexma_search.index.edge_storage import CollectionDirectory, write_atomically
from mexma_search.index.keywords import KEYWORD_VECTOR, document_keywords
from mexma_search.index.points import (
    KEYWORD_FIELDS,
    PASSAGE_VECTOR,
    SENTENCE_VECTORS,
    ChunkPoint,
    float_rows,
    point_id,
    unit_rows,
)

META_FILE = "meta.json"
# writes journaled during a rebuild, beyond which writers wait for the rebuild to end
JOURNAL_LIMIT = 100_000

Write = tuple[str, Any]


class ShardHandle:
    """An open shard and the searches using it, so that it closes only when they are done."""

    def __init__(self, shard: EdgeShard, generation: int) -> None:
        self.shard = shard
        self.generation = generation
        self._readers = 0
        self._idle = threading.Condition()

    @contextmanager
    def reading(self) -> Iterator[EdgeShard]:
        """The shard, kept open while the block runs."""
        with self._idle:
            self._readers += 1
        try:
            yield self.shard
        finally:
            with self._idle:
                self._readers -= 1
                self._idle.notify_all()

    def close_when_idle(self) -> None:
        """Close the shard once no search is using it."""
        with self._idle:
            self._idle.wait_for(lambda: self._readers == 0)
            self.shard.close()


class EdgeCollection:
    """A chunk collection stored as a Qdrant Edge shard (see the module docstring)."""

    def __init__(
        self, directory: CollectionDirectory, handle: ShardHandle, dim: int, quantized: bool
    ) -> None:
        self.directory = directory
        self.dim = dim
        self.quantized = quantized
        self._handle = handle
        self._handle_lock = threading.Lock()
        self._writes = threading.Condition()
        self._journal: list[Write] | None = None
        self._journaled_points = 0
        self._rebuilding = threading.Lock()
        self.written_since_build = 0

    @classmethod
    def create(
        cls, directory: CollectionDirectory, dim: int, *, quantization: bool
    ) -> EdgeCollection:
        """A new, empty collection for ``dim``-dimensional vectors."""
        shutil.rmtree(directory.path, ignore_errors=True)
        path = directory.generation(0)
        shard = EdgeShard.create(str(path), shard_config(dim, quantization=quantization))
        shard.update(UpdateOperation.create_field_index("document_id", PayloadSchemaType.Integer))
        for field in KEYWORD_FIELDS:
            shard.update(UpdateOperation.create_field_index(field, PayloadSchemaType.Keyword))
        shard.flush()
        meta = {"dim": dim, "quantization": quantization}
        write_atomically(directory.path / META_FILE, json.dumps(meta))
        directory.set_current(0)
        return cls(directory, ShardHandle(shard, 0), dim, quantization)

    @classmethod
    def open(cls, directory: CollectionDirectory) -> EdgeCollection:
        """The collection's current generation (leftovers of cut-short builds removed)."""
        directory.remove_unused_generations()
        generation = directory.current()
        meta = json.loads((directory.path / META_FILE).read_text(encoding="utf-8"))
        shard = EdgeShard.load(str(directory.generation(generation)))
        collection = cls(
            directory,
            ShardHandle(shard, generation),
            int(meta["dim"]),
            bool(meta.get("quantization", False)),
        )
        info = shard.info()
        # points written but not yet in a graph count towards the next build
        collection.written_since_build = max(0, info.points_count - info.indexed_vectors_count)
        return collection

    @contextmanager
    def reading(self) -> Iterator[EdgeShard]:
        """The current shard, for one read."""
        with self._handle_lock:
            handle = self._handle
        with handle.reading() as shard:
            yield shard

    def upsert(self, model_version: str, batch: list[ChunkPoint]) -> None:
        """Write ``batch`` (replacing points of the same chunks)."""
        passages = unit_rows([point.vector for point in batch])
        points = [
            edge_point(point, passage, model_version)
            for point, passage in zip(batch, passages, strict=True)
        ]
        self._write(("upsert", points), len(points))

    def delete_document(self, document_id: int) -> None:
        """Remove a document's points."""
        self._write(("delete", document_id), 0)

    def _write(self, write: Write, n_points: int) -> None:
        with self._writes:
            self._writes.wait_for(lambda: self._journaled_points < JOURNAL_LIMIT)
            with self.reading() as shard:
                apply_write(shard, write)
            if self._journal is not None:
                self._journal.append(write)
                self._journaled_points += n_points
            self.written_since_build += n_points

    def count(self) -> int:
        """The exact number of points."""
        with self.reading() as shard:
            return shard.count(CountRequest(exact=True))

    def rebuild(self, optimize: Callable[[Path], None]) -> None:
        """Build the search index on a copy (``optimize`` runs on the copy's directory, in a
        child process) and switch to it; searches and writes go on meanwhile."""
        with self._rebuilding:
            self._rebuild(optimize)

    def _rebuild(self, optimize: Callable[[Path], None]) -> None:
        with self._writes:
            with self.reading() as shard:
                shard.flush()
                generation = self._handle.generation + 1
                target = self.directory.generation(generation)
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(self.directory.generation(self._handle.generation), target)
            self._journal = []
            self.written_since_build = 0
        try:
            optimize(target)
        except BaseException:
            with self._writes:
                self._stop_journal()
            shutil.rmtree(target, ignore_errors=True)
            raise
        self._switch_to(generation)

    def _switch_to(self, generation: int) -> None:
        with self._writes:
            shard = EdgeShard.load(str(self.directory.generation(generation)))
            for write in self._journal or []:
                apply_write(shard, write)
            shard.flush()
            self.directory.set_current(generation)
            with self._handle_lock:
                old, self._handle = self._handle, ShardHandle(shard, generation)
            self._stop_journal()
        old.close_when_idle()
        shutil.rmtree(self.directory.generation(old.generation), ignore_errors=True)

    def _stop_journal(self) -> None:
        self._journal = None
        self._journaled_points = 0
        self._writes.notify_all()

    def close(self) -> None:
        """Flush and close the shard (after the searches using it)."""
        with self._writes:
            with self._handle_lock:
                handle = self._handle
            with handle.reading() as shard:
                shard.flush()
            handle.close_when_idle()


def shard_config(dim: int, *, quantization: bool) -> EdgeConfig:
    """Passage vectors (dot product of unit vectors = cosine; int8-quantised in RAM with the
    originals on disk when ``quantization``) and sentence vectors (float16, on disk, never
    indexed); payload on disk."""
    passage = EdgeVectorParams(
        size=dim,
        distance=Distance.Dot,
        memory=Memory.Cold if quantization else Memory.Cached,
        quantization_config=(
            ScalarQuantizationConfig(type=ScalarType.Int8, quantile=0.99, always_ram=True)
            if quantization
            else None
        ),
    )
    sentences = EdgeVectorParams(
        size=dim,
        distance=Distance.Cosine,
        multivector_config=MultiVectorConfig(MultiVectorComparator.MaxSim),
        datatype=VectorStorageDatatype.Float16,
        hnsw_config=HnswIndexConfig(m=0, ef_construct=100, full_scan_threshold=10_000),
        memory=Memory.Cold,
    )
    return EdgeConfig(
        vectors={PASSAGE_VECTOR: passage, SENTENCE_VECTORS: sentences},
        sparse_vectors={KEYWORD_VECTOR: EdgeSparseVectorParams(modifier=Modifier.Idf)},
        hnsw_config=HnswIndexConfig(m=16, ef_construct=100, full_scan_threshold=10_000),
        payload_memory=Memory.Cold,
    )


def edge_point(point: ChunkPoint, passage: list[float], model_version: str) -> Point:
    """``point`` as a Qdrant Edge point, with its passage vector made unit length."""
    vectors: dict[str, Any] = {PASSAGE_VECTOR: passage}
    if point.has_sentence_vectors():
        assert point.sentence_vectors is not None
        vectors[SENTENCE_VECTORS] = float_rows(point.sentence_vectors)
    if point.text:
        vectors[KEYWORD_VECTOR] = document_keywords(point.text, point.lang)
    return Point(
        point_id(point.document_id, point.ordinal, model_version), vectors, point.payload()
    )


def edge_filter(conditions: dict[str, list[Any]]) -> Filter:
    """Every condition of ``conditions`` (field: the values of which any matches)."""
    return Filter(
        must=[FieldCondition(key, match=MatchAny(values)) for key, values in conditions.items()]
    )


def apply_write(shard: EdgeShard, write: Write) -> None:
    """Apply one journaled write to ``shard``."""
    kind, argument = write
    if kind == "upsert":
        shard.update(UpdateOperation.upsert_points(argument))
    else:
        shard.update(
            UpdateOperation.delete_points_by_filter(edge_filter({"document_id": [argument]}))
        )
