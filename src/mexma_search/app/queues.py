"""Queue and task names, and which queue each task runs on.

Parsing runs on ``ingest`` (CPU workers); everything that runs the encoder runs on ``embed``
(GPU workers, if there are any); training runs on its own ``train`` queue.
"""

from __future__ import annotations

from mexma_search.store import JobKind

QUEUE_INGEST = "ingest"
QUEUE_EMBED = "embed"
QUEUE_TRAIN = "train"
QUEUES = (QUEUE_INGEST, QUEUE_EMBED, QUEUE_TRAIN)

TASK_INGEST = "mexma.ingest"
TASK_EMBED = "mexma.embed"
TASK_REINDEX = "mexma.reindex"
TASK_TRAIN = "mexma.train"
TASK_ROUTES = {
    TASK_INGEST: {"queue": QUEUE_INGEST},
    TASK_EMBED: {"queue": QUEUE_EMBED},
    TASK_REINDEX: {"queue": QUEUE_EMBED},
    TASK_TRAIN: {"queue": QUEUE_TRAIN},
}
# The task that runs (or resumes) a job of each kind; an ingest job resumes at its checkpoint.
TASK_FOR_KIND = {
    JobKind.INGEST: TASK_INGEST,
    JobKind.REINDEX: TASK_REINDEX,
    JobKind.TRAIN: TASK_TRAIN,
}
