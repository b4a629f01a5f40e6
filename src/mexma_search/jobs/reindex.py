"""The ``reindex`` task: promote a model version by re-embedding every chunk into its collection.

Chunk texts come from SQL. Search keeps answering from the old collection until the alias
swap; after the swap, one more pass embeds chunks that were added meanwhile (their ingest
jobs resolved the old live model before the swap, so they went to the old collection only).
Then the translation memory segments are embedded into the new model's TM collection
(concordance finds none of them until then).
"""

from __future__ import annotations

from mexma_search.app.queues import STAGE_EMBEDDING
from mexma_search.app.serving_model import ServingModel, activate, register_model_version
from mexma_search.app.translation_memories import reindex_all
from mexma_search.index import LIVE_ALIAS, collection_name
from mexma_search.jobs.embed import embed_chunks
from mexma_search.jobs.handler import JobHandler
from mexma_search.store import chunks_after, count_chunks, session_scope

STAGE_SWAPPING = "swapping"
STAGE_CATCHING_UP = "catching up"
STAGE_TRANSLATION_MEMORIES = "translation memories"


class Reindex(JobHandler):
    """Re-embed all chunks with a model version, then make it the live one."""

    _total = 0

    def run(self) -> None:
        name: str = self.parameter("model_version")
        model = register_model_version(self.runtime, name, self.parameter("source"))
        previous = self.runtime.index.alias_target(LIVE_ALIAS)
        if previous == model.collection:
            self.finish(f"{name} is already live", {"model_version": name, "chunks": 0})
            return
        with session_scope(self.runtime.engine) as session:
            self._total = count_chunks(session)
        self.progress(stage=STAGE_EMBEDDING, done=0, total=self._total)
        last_id, done = self._embed_after(model, 0, 0)
        self.progress(stage=STAGE_SWAPPING)
        retired = activate(self.runtime, name)
        if retired is not None:
            self.runtime.encoders.evict(retired)
        self.progress(stage=STAGE_CATCHING_UP)
        _, done = self._embed_after(model, last_id, done)
        self.progress(stage=STAGE_TRANSLATION_MEMORIES)
        segments = reindex_all(self.runtime, model)
        self.finish(
            f"{name} is live ({done} passages, {segments} TM segments re-embedded)",
            {
                "model_version": name,
                "previous_collection": previous,
                "chunks": done,
                "tm_segments": segments,
            },
        )

    def _embed_after(self, model: ServingModel, last_id: int, done: int) -> tuple[int, int]:
        """Embed the chunks with ids above ``last_id``; the new last id and done count."""
        settings = self.runtime.settings
        while True:
            with session_scope(self.runtime.engine) as session:
                batch = chunks_after(session, last_id, settings.embed_gather_chunks)
            if not batch:
                return last_id, done
            points, _ = embed_chunks(model, batch, settings, gate=self.runtime.encoder_gate)
            self.runtime.index.upsert(model.collection, points)
            last_id = batch[-1].chunk.id
            done += len(batch)
            # chunks added during the job make the total grow
            self._total = max(self._total, done)
            self.progress(done=done, total=self._total)

    def cleanup(self, reason: str) -> None:
        """Drop the half-built collection, unless the swap already made it live."""
        name = self.job.parameters.get("model_version")
        if not name:
            return
        collection = collection_name(name)
        if self.runtime.index.alias_target(LIVE_ALIAS) != collection:
            self.runtime.index.drop_collection(collection)
