"""The metadata database on SQLite (always) and PostgreSQL (when a server answers)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from postgres_schema import LOCAL_POSTGRES_URL, postgres_answers, throwaway_schema
from sqlalchemy import Engine, func, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from mexma_search.store import (
    Chunk,
    Document,
    DocumentStatus,
    Job,
    JobKind,
    JobStatus,
    ModelStatus,
    ModelVersion,
    NewChunk,
    NewDocument,
    NewModelVersion,
    active_model_version,
    add_document,
    claim_job,
    claim_jobs,
    create_job,
    create_model_version,
    delete_document,
    delete_model_version,
    fail_job,
    finish_job,
    finish_jobs,
    get_job,
    get_jobs,
    get_or_create_collection,
    iter_chunk_batches,
    job_metrics,
    list_documents,
    list_model_versions,
    make_engine,
    migrate,
    read_scope,
    record_done,
    record_metrics,
    replace_chunks,
    request_cancel,
    requeue_job,
    requeue_stale_jobs,
    session_scope,
    set_active,
    stale_job_ids,
    touch_jobs,
    unfinished_jobs,
    update_progress,
    waiting_jobs,
)
from mexma_search.store.tables import Base
from mexma_search.store.types import utcnow


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated database per backend; PostgreSQL gets a throwaway schema."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'meta.db'}")
        migrate(engine)
        yield engine
        engine.dispose()
        return
    if not postgres_answers():
        pytest.skip(f"no PostgreSQL server answers at {LOCAL_POSTGRES_URL}")
    with throwaway_schema("test") as url:
        engine = make_engine(url)
        try:
            migrate(engine)
            yield engine
        finally:
            engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Engine]:
    """The engine, emptied after each test so that tests stay independent."""
    yield engine
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


def _new_document(content_hash: str = "h1", collection: str = "news") -> NewDocument:
    return NewDocument(
        collection=collection,
        content_hash=content_hash,
        filename=f"{content_hash}.txt",
        file_type="txt",
        size_bytes=12,
        stored_path=f"/uploads/{content_hash}.txt",
    )


def _chunks(n: int) -> list[NewChunk]:
    return [
        NewChunk(
            ordinal=i,
            text=f"Sentence {i}. Another one.",
            start_offset=30 * i,
            end_offset=30 * i + 25,
            language="en",
            sentences=[(0, 12), (13, 25)],
        )
        for i in range(n)
    ]


def _model(name: str) -> NewModelVersion:
    return NewModelVersion(
        name=name, source="hub/id", path=f"/m/{name}", pooling="cls", dimension=8
    )


def test_migrate_is_idempotent_and_matches_the_models(db: Engine) -> None:
    migrate(db)
    with db.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        assert context.get_current_revision() == "0007"


def test_migrate_creates_a_fresh_sqlite_file_from_a_url(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate(url)
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) >= {
        "collections",
        "documents",
        "chunks",
        "jobs",
        "job_metrics",
        "model_versions",
    }
    engine.dispose()


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pragma.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    engine.dispose()


def test_a_read_scope_does_not_wait_for_a_writer(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'read.db'}", connect_args={"timeout": 0.2})
    migrate(engine)
    with session_scope(engine) as session:
        job_id = create_job(session, JobKind.INGEST).id
    with session_scope(engine) as writer:  # holds the write lock until the block ends
        writer.execute(text("UPDATE jobs SET stage = 'held' WHERE id = :id"), {"id": job_id})
        with read_scope(engine) as reader:
            job = get_job(reader, job_id)
            assert job is not None and job.stage is None  # the last committed state
    engine.dispose()


def test_timestamps_and_json_round_trip(db: Engine) -> None:
    with session_scope(db) as session:
        job_id = create_job(session, JobKind.TRAIN, parameters={"lr": 1e-4, "langs": ["en"]}).id
    with session_scope(db) as session:
        job = get_job(session, job_id)
        assert job is not None
        assert job.created_at.tzinfo is UTC
        assert job.parameters == {"lr": 1e-4, "langs": ["en"]}
        assert job.status is JobStatus.QUEUED


def test_same_file_twice_in_a_collection_is_recorded_as_duplicate(db: Engine) -> None:
    with session_scope(db) as session:
        original = add_document(session, _new_document())
        again = add_document(session, _new_document())
        elsewhere = add_document(session, _new_document(collection="other"))
    assert original.status is DocumentStatus.PENDING
    assert again.status is DocumentStatus.DUPLICATE
    assert again.duplicate_of_id == original.id
    assert elsewhere.status is DocumentStatus.PENDING


def test_two_non_duplicate_rows_with_one_hash_violate_the_unique_index(db: Engine) -> None:
    with session_scope(db) as session:
        collection_id = get_or_create_collection(session, "news").id
    row = {
        "collection_id": collection_id,
        "content_hash": "same",
        "filename": "a.txt",
        "file_type": "txt",
        "size_bytes": 1,
        "stored_path": "/a",
    }
    with pytest.raises(IntegrityError), session_scope(db) as session:
        session.add_all([Document(**row), Document(**row)])


def test_replace_chunks_is_idempotent_and_counts_are_listed(db: Engine) -> None:
    with session_scope(db) as session:
        document = add_document(session, _new_document())
        first_ids = replace_chunks(session, document.id, _chunks(3))
        second_ids = replace_chunks(session, document.id, _chunks(3))
        empty = add_document(session, _new_document("h2"))
    assert len(first_ids) == len(second_ids) == 3
    with session_scope(db) as session:
        listed = {row.document.id: row.chunk_count for row in list_documents(session)}
        stored = session.scalars(select(Chunk).where(Chunk.id.in_(second_ids))).all()
    assert listed == {document.id: 3, empty.id: 0}
    assert sorted((c.id, c.ordinal) for c in stored) == list(zip(second_ids, range(3), strict=True))
    assert stored[0].sentences == [[0, 12], [13, 25]]


def test_a_document_cannot_have_two_chunks_with_one_ordinal(db: Engine) -> None:
    with session_scope(db) as session:
        document_id = add_document(session, _new_document()).id
    with pytest.raises(IntegrityError), session_scope(db) as session:
        replace_chunks(session, document_id, [*_chunks(1), *_chunks(1)])


def test_deleting_a_document_cascades_to_its_chunks(db: Engine) -> None:
    with session_scope(db) as session:
        keep = add_document(session, _new_document("keep"))
        drop = add_document(session, _new_document("drop"))
        replace_chunks(session, keep.id, _chunks(2))
        replace_chunks(session, drop.id, _chunks(4))
    with session_scope(db) as session:
        assert delete_document(session, drop.id) == 4
        assert delete_document(session, drop.id) is None
    with session_scope(db) as session:
        query = select(Chunk.document_id, func.count()).group_by(Chunk.document_id)
        per_document = {document_id: n for document_id, n in session.execute(query)}
    assert per_document == {keep.id: 2}


def test_iter_chunk_batches_pages_through_every_chunk(db: Engine) -> None:
    with session_scope(db) as session:
        for name, n in (("a", 3), ("b", 4)):
            document = add_document(session, _new_document(name, collection=name))
            replace_chunks(session, document.id, _chunks(n))
    with session_scope(db) as session:
        batches = list(iter_chunk_batches(session, batch_size=2))
    assert [len(batch) for batch in batches] == [2, 2, 2, 1]
    assert [row.collection for batch in batches for row in batch] == ["a"] * 3 + ["b"] * 4


def test_job_lifecycle_progress_and_cancel(db: Engine) -> None:
    with session_scope(db) as session:
        job_id = create_job(session, JobKind.INGEST, total=10).id
    with session_scope(db) as session:
        assert claim_job(session, job_id, hostname="w1", celery_task_id="t1")
        assert not claim_job(session, job_id, hostname="w2")
    with session_scope(db) as session:
        assert update_progress(session, job_id, stage="embed", done=4, message="4 of 10") is False
        assert update_progress(session, job_id, done=5) is False
    with session_scope(db) as session:
        job = get_job(session, job_id)
        assert job is not None
        assert (job.status, job.stage, job.done, job.total, job.message) == (
            JobStatus.RUNNING,
            "embed",
            5,
            10,
            "4 of 10",
        )
        assert job.worker_hostname == "w1"
        assert job.heartbeat_at is not None and job.started_at is not None
        assert request_cancel(session, job_id)
        assert update_progress(session, job_id, done=6) is True
        assert finish_job(session, job_id, status=JobStatus.CANCELLED)
        assert not fail_job(session, job_id, "too late")
    with session_scope(db) as session:
        job = get_job(session, job_id)
        assert job is not None
        assert job.status is JobStatus.CANCELLED and job.error is None
        assert job.finished_at is not None and job.finished_at >= job.started_at


def test_cancelling_a_queued_job_ends_it_before_any_worker_claims_it(db: Engine) -> None:
    with session_scope(db) as session:
        job_id = create_job(session, JobKind.EMBED).id
        assert request_cancel(session, job_id)
        assert not claim_job(session, job_id, hostname="w1")
        assert not request_cancel(session, job_id)
        job = get_job(session, job_id)
        assert job is not None and job.status is JobStatus.CANCELLED


def test_unfinished_jobs_are_found_and_requeued(db: Engine) -> None:
    with session_scope(db) as session:
        queued, running, failed = (create_job(session, JobKind.INGEST).id for _ in range(3))
        claim_job(session, running, hostname="dead-worker")
        claim_job(session, failed, hostname="w")
        fail_job(session, failed, "boom")
    with session_scope(db) as session:
        assert [job.id for job in unfinished_jobs(session)] == [queued, running]
        assert requeue_job(session, running)
        assert not requeue_job(session, failed)
        assert {job.status for job in unfinished_jobs(session)} == {JobStatus.QUEUED}


def test_finish_job_refuses_failed_as_a_status(db: Engine) -> None:
    with session_scope(db) as session:
        job_id = create_job(session, JobKind.TRAIN).id
        with pytest.raises(ValueError, match="succeeded or cancelled"):
            finish_job(session, job_id, status=JobStatus.FAILED)


def test_metrics_rows_merge_per_step(db: Engine) -> None:
    with session_scope(db) as session:
        job_id = create_job(session, JobKind.TRAIN).id
        record_metrics(session, job_id, 0, {"loss": 2.0})
        record_metrics(session, job_id, 100, {"loss": 1.0})
        record_metrics(session, job_id, 100, {"xsim_error": 0.1})
    with session_scope(db) as session:
        rows = job_metrics(session, job_id)
        later = job_metrics(session, job_id, after_step=0)
    assert [(row.step, row.values) for row in rows] == [
        (0, {"loss": 2.0}),
        (100, {"loss": 1.0, "xsim_error": 0.1}),
    ]
    assert [row.step for row in later] == [100]


def test_set_active_leaves_exactly_one_active_version(db: Engine) -> None:
    with session_scope(db) as session:
        for name in ("a", "b", "c"):
            create_model_version(session, _model(name))
        assert active_model_version(session) is None
    for name in ("a", "b", "c", "c"):
        with session_scope(db) as session:
            set_active(session, name)
    with session_scope(db) as session:
        statuses = {model.name: model.status for model in list_model_versions(session)}
        active = active_model_version(session)
    assert statuses == {"a": ModelStatus.RETIRED, "b": ModelStatus.RETIRED, "c": ModelStatus.ACTIVE}
    assert active is not None and active.name == "c"


def test_the_database_refuses_a_second_active_version(db: Engine) -> None:
    with session_scope(db) as session:
        create_model_version(session, _model("a"))
        create_model_version(session, _model("b"))
        set_active(session, "a")
    with pytest.raises(IntegrityError), session_scope(db) as session:
        session.scalars(
            select(ModelVersion).where(ModelVersion.name == "b")
        ).one().status = ModelStatus.ACTIVE


def test_the_active_version_cannot_be_deleted(db: Engine) -> None:
    with session_scope(db) as session:
        create_model_version(session, _model("a"))
        create_model_version(session, _model("b"))
        set_active(session, "a")
        with pytest.raises(ValueError, match="active"):
            delete_model_version(session, "a")
        delete_model_version(session, "b")
        assert [model.name for model in list_model_versions(session)] == ["a"]
        with pytest.raises(KeyError):
            set_active(session, "b")


def test_two_threads_writing_to_sqlite_do_not_hit_database_is_locked(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'concurrent.db'}")
    migrate(engine)
    with session_scope(engine) as session:
        job_id = create_job(session, JobKind.INGEST).id
        claim_job(session, job_id, hostname="w")
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(40):
                # each transaction reads before it writes: the pattern that SQLite's deferred
                # transactions turn into an immediate "database is locked"
                with session_scope(engine) as session:
                    add_document(session, _new_document(f"{worker}-{i}", collection=f"c{i % 3}"))
                    update_progress(session, job_id, done=i)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM documents")).scalar() == 80
    engine.dispose()


def test_only_jobs_gone_silent_are_taken_over_or_requeued(db: Engine) -> None:
    with session_scope(db) as session:
        alive, dead = (create_job(session, JobKind.INGEST).id for _ in range(2))
        claim_job(session, alive, hostname="w1")
        claim_job(session, dead, hostname="w2")
        session.execute(
            update(Job).where(Job.id == dead).values(heartbeat_at=utcnow() - timedelta(hours=1))
        )
    stale_before = utcnow() - timedelta(minutes=1)
    with session_scope(db) as session:
        assert touch_jobs(session, {alive}) == 1
        # a duplicate message for a live job claims nothing; a dead worker's job is taken over
        assert not claim_job(session, alive, hostname="w3", stale_before=stale_before)
        assert claim_job(session, dead, hostname="w3", stale_before=stale_before)
        job = get_job(session, dead)
        assert job is not None and job.worker_hostname == "w3"
        session.execute(
            update(Job).where(Job.id == dead).values(heartbeat_at=utcnow() - timedelta(hours=1))
        )
    with session_scope(db) as session:
        assert stale_job_ids(session, stale_before) == [dead]
        assert requeue_stale_jobs(session, stale_before) == [(dead, JobKind.INGEST, None)]
        assert requeue_stale_jobs(session, stale_before) == []  # a second sweep finds nothing
        statuses = {j.id: j.status for j in unfinished_jobs(session)}
    assert statuses == {alive: JobStatus.RUNNING, dead: JobStatus.QUEUED}


def test_an_embed_task_claims_waiting_jobs_and_ends_them_together(db: Engine) -> None:
    with session_scope(db) as session:
        ids = [create_job(session, JobKind.INGEST, total=2).id for _ in range(4)]
        parsing = create_job(session, JobKind.INGEST).id
        for job_id in [*ids, parsing]:
            claim_job(session, job_id, hostname="ingest")
            update_progress(session, job_id, stage="parsing" if job_id == parsing else "embedding")
            requeue_job(session, job_id)
    with session_scope(db) as session:
        waiting = waiting_jobs(session, JobKind.INGEST, "embedding", limit=3)
        assert waiting == [(i, 2) for i in ids[:3]]  # oldest first, at the stage, up to limit
        waiting_ids = [job_id for job_id, _ in waiting]
        assert claim_job(session, ids[2], hostname="another embed worker")
        claimed = claim_jobs(session, [*waiting_ids, parsing], hostname="embed", celery_task_id="t")
        assert claimed == {ids[0], ids[1], parsing}  # ids[2] was running already
        assert request_cancel(session, ids[1])
    with session_scope(db) as session:
        assert record_done(session, {job_id: 2 for job_id in waiting_ids}) == {ids[1]}
        finish_jobs(session, {ids[0]: ("indexed 2 passages", {"chunks": 2}), ids[3]: ("x", {})})
    with session_scope(db) as session:
        jobs = get_jobs(session, ids)
        assert [jobs[i].done for i in ids] == [2, 2, 2, 0]
        assert jobs[ids[0]].status == JobStatus.SUCCEEDED
        assert jobs[ids[0]].message == "indexed 2 passages"
        assert jobs[ids[0]].metrics == {"chunks": 2}
        assert jobs[ids[1]].status == JobStatus.RUNNING  # cancelling is up to the task
        assert jobs[ids[3]].status == JobStatus.QUEUED  # not claimed: left as it was


def test_documents_from_before_titles_keep_working_after_the_upgrade(tmp_path: Path) -> None:
    from alembic import command

    from mexma_search.store.migrate import alembic_config

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(engine), "0002")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO collections (id, name, created_at) VALUES (1, 'c', '2026-01-01')")
        )
        connection.execute(
            text(
                "INSERT INTO documents (id, collection_id, content_hash, filename, file_type, "
                "size_bytes, stored_path, languages, status, n_chunks, created_at, updated_at) "
                "VALUES (1, 1, 'h', 'old.txt', 'txt', 3, '/u/old.txt', '[]', 'indexed', 0, "
                "'2026-01-01', '2026-01-01')"
            )
        )
    migrate(engine)
    with read_scope(engine) as session:
        ((document, _),) = list_documents(session)
        assert (document.filename, document.title) == ("old.txt", None)
    engine.dispose()
