"""The queues jobs run on, the steps that run them, and which step a queued job needs next.

Parsing runs on ``ingest`` (CPU workers); everything that runs the encoder runs on ``embed``
(GPU workers, if there are any); training runs on its own ``train`` queue. A step's value is the
name of its Celery task, the wire format of distributed mode.
"""

from __future__ import annotations

from enum import StrEnum

from mexma_search.store import JobKind

QUEUE_INGEST = "ingest"
QUEUE_EMBED = "embed"
QUEUE_TRAIN = "train"
QUEUES = (QUEUE_INGEST, QUEUE_EMBED, QUEUE_TRAIN)

# an ingest job's stage once its chunks are stored: it waits for the encoder
STAGE_EMBEDDING = "embedding"
# the parameter that makes an ingest job re-read its document in the encoding it names
REREAD_ENCODING = "encoding"


class Step(StrEnum):
    """One piece of work a job handler does; an ingest job takes two (parse, then embed)."""

    INGEST = "mexma.ingest"
    EMBED = "mexma.embed"
    REINDEX = "mexma.reindex"
    TRAIN = "mexma.train"
    # translation-memory mining and alignment (job kind ``embed``, see app/tm_jobs.py)
    TM = "mexma.tm"

    @property
    def queue(self) -> str:
        """The queue this step runs on."""
        return QUEUE_OF_STEP[self]


QUEUE_OF_STEP = {
    Step.INGEST: QUEUE_INGEST,
    Step.EMBED: QUEUE_EMBED,
    Step.REINDEX: QUEUE_EMBED,
    Step.TRAIN: QUEUE_TRAIN,
    Step.TM: QUEUE_EMBED,
}
_STEP_OF_KIND = {
    JobKind.INGEST: Step.INGEST,
    JobKind.REINDEX: Step.REINDEX,
    JobKind.TRAIN: Step.TRAIN,
    JobKind.EMBED: Step.TM,
}


def step_for(kind: JobKind, stage: str | None) -> Step | None:
    """The step that runs (or resumes) a queued job of ``kind`` at ``stage``; None for a kind no
    step runs. An ingest job resumes at its checkpoint: past it, it waits for the encoder."""
    if kind == JobKind.INGEST and stage == STAGE_EMBEDDING:
        return Step.EMBED
    return _STEP_OF_KIND.get(kind)
