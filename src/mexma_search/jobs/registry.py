"""Which handler runs each step of a job."""

from __future__ import annotations

from mexma_search.app.queues import Step
from mexma_search.jobs.embed import EmbedDocuments
from mexma_search.jobs.handler import JobHandler
from mexma_search.jobs.ingest import IngestDocument
from mexma_search.jobs.reindex import Reindex
from mexma_search.jobs.tm import TranslationMemoryJob
from mexma_search.jobs.train import TrainModel

HANDLERS: dict[Step, type[JobHandler]] = {
    Step.INGEST: IngestDocument,
    Step.EMBED: EmbedDocuments,
    Step.REINDEX: Reindex,
    Step.TRAIN: TrainModel,
    Step.TM: TranslationMemoryJob,
}
