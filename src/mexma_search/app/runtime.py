"""The per-process resources of the backend: the database engine, the vector index, encoders
and the heartbeat thread.

Each is created on first use, in the process (and after the fork) that uses it, so no database
connection, Qdrant lock or CUDA context ever crosses a fork. Celery workers and the services
share one Runtime per process.
"""

from __future__ import annotations

import threading

import numpy as np
import torch
from sqlalchemy import Engine

from mexma_search.app.encoder_cache import EncoderCache
from mexma_search.app.encoder_gate import EncoderGate
from mexma_search.app.heartbeats import Heartbeats
from mexma_search.app.query_batcher import QueryBatcher
from mexma_search.app.settings import Settings
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.index import VectorIndex
from mexma_search.index import open_index as open_vector_index
from mexma_search.store import make_engine, migrate


class Runtime:
    """Lazily created engine (migrated once), vector index and encoders for one process.

    A process runs one runtime, which sets the process's torch CPU threads (``cpu_threads``)
    when it is created: loading a model never changes process-wide settings.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        if settings.cpu_threads:
            torch.set_num_threads(settings.cpu_threads)
        self.encoders = EncoderCache(settings)
        # searches and background jobs take turns at the encoders, searches first
        self.encoder_gate = EncoderGate()
        # set while an in-process worker shuts down: running jobs stop at their next batch
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._index: VectorIndex | None = None
        # model version name -> the path of its model (a version's path never changes)
        self.model_paths: dict[str, str] = {}
        self._query_batcher: QueryBatcher | None = None
        self.heartbeats = Heartbeats(lambda: self.engine, settings.job_heartbeat_s)

    @property
    def engine(self) -> Engine:
        """The metadata database, migrated to the newest schema on first use."""
        with self._lock:
            if self._engine is None:
                self.settings.ensure_dirs()
                assert self.settings.database_url is not None
                engine = make_engine(self.settings.database_url)
                migrate(engine)
                self._engine = engine
            return self._engine

    @property
    def index(self) -> VectorIndex:
        """The vector index named by the settings (opened on first use)."""
        with self._lock:
            if self._index is None:
                self._index = open_index(self.settings)
            return self._index

    def encoder(self, model_path: str) -> SentenceEncoder:
        """The encoder stored at ``model_path`` (kept loaded while it is in use)."""
        return self.encoders.get(model_path)

    def encode_query(self, encoder: SentenceEncoder, query: str) -> np.ndarray:
        """``query``'s vector by ``encoder``, encoded together with concurrent searches' (one
        batcher, for the serving model: a new model replaces it)."""
        with self._lock:
            batcher = self._query_batcher
            if batcher is None or batcher.encoder is not encoder:
                if batcher is not None:
                    batcher.close()
                batcher = QueryBatcher(encoder, self.encoder_gate.search)
                self._query_batcher = batcher
        return batcher.encode(query)

    def close(self) -> None:
        """Stop the heartbeats; release the database connections and the index (and its
        directory lock)."""
        self.heartbeats.close()
        with self._lock:
            if self._query_batcher is not None:
                self._query_batcher.close()
                self._query_batcher = None
            if self._index is not None:
                self._index.close()
                self._index = None
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None


def open_index(settings: Settings) -> VectorIndex:
    """The vector index that ``settings.qdrant_location`` names."""
    api_key = settings.qdrant_api_key
    return open_vector_index(
        str(settings.qdrant_location),
        engine=settings.index_engine,
        api_key=api_key.get_secret_value() if api_key else None,
        shards=settings.qdrant_shards,
        replicas=settings.qdrant_replicas,
        quantization=settings.index_quantization,
    )
