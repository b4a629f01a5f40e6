"""Which handler runs each step of a job."""

from __future__ import annotations

from mexma_search.app.job_queue import JobQueue
from mexma_search.app.queues import REREAD_ENCODING, Step
from mexma_search.app.runtime import Runtime
from mexma_search.jobs.embed import EmbedDocuments
from mexma_search.jobs.handler import HandlerFactory, JobHandler, WorkerIdentity
from mexma_search.jobs.ingest import IngestDocument
from mexma_search.jobs.reindex import Reindex
from mexma_search.jobs.reingest import RereadDocument
from mexma_search.jobs.tm import TranslationMemoryJob
from mexma_search.jobs.train import TrainModel
from mexma_search.store import Job


def ingest_handler(
    runtime: Runtime, queue: JobQueue, job: Job, worker: WorkerIdentity
) -> JobHandler:
    """Parse and chunk one document, then queue its embedding; or, for a job that names an
    encoding, re-read a document in it."""
    if REREAD_ENCODING in job.parameters:
        return RereadDocument(runtime, queue, job, worker)
    return IngestDocument(runtime, queue, job, worker)


HANDLERS: dict[Step, HandlerFactory] = {
    Step.INGEST: ingest_handler,
    Step.EMBED: EmbedDocuments,
    Step.REINDEX: Reindex,
    Step.TRAIN: TrainModel,
    Step.TM: TranslationMemoryJob,
}
