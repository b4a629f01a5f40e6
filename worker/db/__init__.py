"""The metadata database: schema, engine and sessions, migrations, and the queries on it.

Typical use::

    engine = make_engine(settings.database_url)
    migrate(engine)
    with session_scope(engine) as session:
        job = create_job(session, JobKind.INGEST)
"""

from worker.db.documents import (
    ChunkInCollection,
    DocumentWithChunks,
    NewChunk,
    NewDocument,
    add_document,
    chunks_by_ids,
    delete_document,
    document_chunks,
    get_collection,
    get_document,
    get_or_create_collection,
    iter_chunk_batches,
    list_collections,
    list_documents,
    replace_chunks,
    set_document_status,
)
from worker.db.engine import make_engine, make_session_factory, session_scope
from worker.db.jobs import (
    claim_job,
    create_job,
    fail_job,
    finish_job,
    get_job,
    job_metrics,
    list_jobs,
    record_metrics,
    request_cancel,
    requeue_job,
    unfinished_jobs,
    update_progress,
)
from worker.db.migrate import migrate
from worker.db.model_versions import (
    NewModelVersion,
    active_model_version,
    create_model_version,
    delete_model_version,
    get_model_version,
    list_model_versions,
    set_active,
    update_model_version,
)
from worker.db.models import (
    Chunk,
    Collection,
    Document,
    DocumentStatus,
    Job,
    JobKind,
    JobMetric,
    JobStatus,
    ModelStatus,
    ModelVersion,
)

__all__ = [
    "Chunk",
    "ChunkInCollection",
    "Collection",
    "Document",
    "DocumentStatus",
    "DocumentWithChunks",
    "Job",
    "JobKind",
    "JobMetric",
    "JobStatus",
    "ModelStatus",
    "ModelVersion",
    "NewChunk",
    "NewDocument",
    "NewModelVersion",
    "active_model_version",
    "add_document",
    "chunks_by_ids",
    "claim_job",
    "create_job",
    "create_model_version",
    "delete_document",
    "delete_model_version",
    "document_chunks",
    "fail_job",
    "finish_job",
    "get_collection",
    "get_document",
    "get_job",
    "get_model_version",
    "get_or_create_collection",
    "iter_chunk_batches",
    "job_metrics",
    "list_collections",
    "list_documents",
    "list_jobs",
    "list_model_versions",
    "make_engine",
    "make_session_factory",
    "migrate",
    "record_metrics",
    "replace_chunks",
    "request_cancel",
    "requeue_job",
    "session_scope",
    "set_active",
    "set_document_status",
    "unfinished_jobs",
    "update_model_version",
    "update_progress",
]
