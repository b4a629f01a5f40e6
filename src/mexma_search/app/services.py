"""What the web UI and the CLI call: typed operations that return plain records.

Nothing about the job queue leaks out: jobs are identified by their row id and read from the
database. In embedded mode a worker must run in this process
(:class:`~mexma_search.jobs.inprocess.InProcessWorker`) for queued jobs to make progress;
without one they wait and resume at the next start.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from mexma_search import store as db
from mexma_search.app import doctor, tm_manage
from mexma_search.app.access import OPERATOR, Caller, Role, may_delete, owner_name
from mexma_search.app.api_tokens import ApiTokens
from mexma_search.app.bitext_summary import LanguageTally, layout_summary
from mexma_search.app.caller_checks import check_write, readable_collections
from mexma_search.app.concordance import ConcordanceHit, ConcordanceQuery, concordance
from mexma_search.app.doctor import DoctorReport
from mexma_search.app.document_operations import (
    LibraryPage,
    LibraryQuery,
    library_page,
    queue_reread,
)
from mexma_search.app.document_reads import PassageInfo, document_info, document_passages
from mexma_search.app.encoder_cache import resolve_model_source
from mexma_search.app.job_queue import JobQueue
from mexma_search.app.model_checks import MetricChange, WorseMetricsError, worse_metrics
from mexma_search.app.paging import search_page
from mexma_search.app.queues import Step
from mexma_search.app.runtime import Runtime
from mexma_search.app.search import Query, SearchMode
from mexma_search.app.search import search as search_index
from mexma_search.app.serving_model import live_collection, live_version, version_name
from mexma_search.app.settings import Settings
from mexma_search.app.tm_jobs import TmJobs
from mexma_search.app.tm_manage import TmChanged
from mexma_search.app.training_params import job_parameters, training_refusal
from mexma_search.app.translation_memories import TmAdded, add_pairs, delete_tms, file_pairs
from mexma_search.app.uploads import (
    RejectedFile,
    StoredFile,
    Upload,
    discard,
    filename_parameters,
    record_upload,
    store_bitext,
    store_upload,
)
from mexma_search.app.users import Accounts
from mexma_search.app.views import (
    BusyWorker,
    DocumentInfo,
    JobInfo,
    ModelVersionInfo,
    SearchPage,
    SearchResult,
    WorkerStatus,
)
from mexma_search.encoder.bitext import (
    BitextError,
    BitextFields,
    bitext_fields,
    bitext_layout,
    format_report,
    validate_bitext,
)
from mexma_search.encoder.training.data import BitextSource
from mexma_search.index import LIVE_ALIAS
from mexma_search.store import DocumentStatus, JobKind, JobStatus, read_scope, session_scope
from mexma_search.store.tm_tables import SegmentOrigin
from mexma_search.store.translation_memory import NewSegment, TmSummary, list_tms, tms_of_document
from mexma_search.store.types import utcnow

DEFAULT_COLLECTION = "default"
MAX_COLLECTION_NAME = 200
POLL_SECONDS = 0.2
# uploads recorded and queued per commit
UPLOAD_BATCH = 64

JobsProgress = Callable[[Sequence[JobInfo]], None]


class Services:
    """The backend's operations over the process's runtime, queueing jobs on ``queue``
    (see :func:`mexma_search.jobs.backends.open_services` for the one the settings name)."""

    def __init__(self, runtime: Runtime, queue: JobQueue) -> None:
        self.runtime = runtime
        self.queue = queue
        self.accounts = Accounts(runtime.engine, runtime.settings)
        self.tokens = ApiTokens(lambda: self.runtime.engine)
        # translation-memory mining and alignment jobs, their pairs
        self.tm = TmJobs(runtime, queue)

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    def caller_for_user(self, name: str) -> Caller | None:
        """What the user called ``name`` may read and write now (None: no such user)."""
        return self.accounts.caller_for_user(name)

    # ----- ingest -------------------------------------------------------------------------

    def ingest_paths(
        self,
        paths: Iterable[Path | str],
        collection: str = DEFAULT_COLLECTION,
        *,
        wait: bool = False,
        timeout: float | None = None,
        caller: Caller | None = None,
    ) -> list[int]:
        """Store files (directories and zip archives expand to one document per file) and
        queue one ingest job each; the job ids, in input order.

        Each path is one upload, stored whole before any of its jobs is queued. Files that
        cannot be stored (unsupported type) and duplicates of a document already in the
        collection get a job that has already ended and says why; an upload that unpacks to
        more than the size limit keeps nothing and gets one such job. PermissionError, with
        nothing stored, when ``caller`` may not write to the collection (an editor who names a
        new collection creates it and may write to it).
        """
        collection = _check_collection(collection)
        self._check_writable(caller, collection)
        assert self.settings.uploads_dir is not None
        max_bytes = self.settings.max_upload_mb << 20
        job_ids: list[int] = []
        for path in paths:
            uploads = store_upload(Path(path), self.settings.uploads_dir, max_bytes)
            job_ids.extend(self._record_uploads(uploads, collection, owner_name(caller)))
        if wait:
            self.wait_for_jobs(job_ids, timeout)
        return job_ids

    def _check_writable(self, caller: Caller | None, collection: str) -> None:
        if caller is None or caller.may_write(collection):
            return
        if caller.role is Role.EDITOR and collection not in self.collections():
            self.accounts.grant(collection, user=caller.name, level="write")
            return
        raise PermissionError(f"{caller.name} may not add documents to {collection!r}")

    def _record_uploads(
        self, uploads: Sequence[Upload], collection: str, owner: str | None
    ) -> list[int]:
        """Record the uploads and queue their jobs, a batch per commit; a batch that cannot be
        recorded leaves no stored file behind, its own nor those of the batches after it."""
        job_ids: list[int] = []
        for start in range(0, len(uploads), UPLOAD_BATCH):
            try:
                with session_scope(self.runtime.engine) as session:
                    jobs = [
                        record_upload(session, upload, collection, owner)
                        for upload in uploads[start : start + UPLOAD_BATCH]
                    ]
            except BaseException:
                discard(uploads[start:])
                raise
            for job_id, queued in jobs:
                if queued:
                    self.queue.enqueue(job_id, Step.INGEST)
            job_ids.extend(job_id for job_id, _ in jobs)
        return job_ids

    # ----- consistency --------------------------------------------------------------------

    def doctor(self, *, repair: bool = False) -> DoctorReport:
        """Compare the database with the index (see :mod:`.doctor`); with ``repair``, also
        repair what was found."""
        if repair:
            return doctor.repair(self.runtime, self.queue)
        return doctor.examine(self.runtime)

    # ----- search -------------------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int = 10,
        lang: str | Sequence[str] | None = None,
        collection: str | Sequence[str] | None = None,
        document_id: int | Sequence[int] | None = None,
        *,
        highlight: bool = True,
        mode: SearchMode | None = None,
        group: bool = True,
        caller: Caller | None = None,
    ) -> list[SearchResult]:
        """Documents (with ``group``) or passages matching ``query`` in any language, best
        first (see :mod:`.search`); ``mode`` 'hybrid' or 'dense' (default: the setting
        ``search_mode``); only the collections ``caller`` may read are searched."""
        collection = readable_collections(caller, collection)
        if collection == []:
            if not query.strip():
                raise ValueError("the query is empty")
            return []
        return search_index(
            self.runtime,
            query,
            k=k,
            lang=lang,
            collection=collection,
            document_id=document_id,
            highlight=highlight,
            mode=mode or self.settings.search_mode,
            group=group,
        )

    def search_page(
        self,
        query: str,
        *,
        page: int = 1,
        page_size: int = 10,
        show_all: bool = False,
        lang: str | Sequence[str] | None = None,
        collection: str | Sequence[str] | None = None,
        document_id: int | Sequence[int] | None = None,
        mode: SearchMode | None = None,
        group: bool = True,
        caller: Caller | None = None,
    ) -> SearchPage:
        """Page ``page`` of the matches for ``query``, results under the relevance floor left
        out unless ``show_all`` (see :mod:`.paging`); only the collections ``caller`` may read
        are searched."""
        collection = readable_collections(caller, collection)
        if collection == []:
            if not query.strip():
                raise ValueError("the query is empty")
            return SearchPage((), page, page_size, has_next=False, hidden=0, show_all=show_all)
        asked = Query(
            query, lang, collection, document_id, mode or self.settings.search_mode, group
        )
        return search_page(self.runtime, asked, page=page, page_size=page_size, show_all=show_all)

    def languages_in_index(self, *, caller: Caller | None = None) -> list[str]:
        """The languages of the stored passages (with ``caller``, of those it may read)."""
        readable = None if caller is None else caller.readable
        with read_scope(self.runtime.engine) as session:
            return db.chunk_languages(session, None if readable is None else sorted(readable))

    def collections(self, *, caller: Caller | None = None) -> list[str]:
        """The names of the document collections (with ``caller``, those it may read)."""
        with read_scope(self.runtime.engine) as session:
            names = [collection.name for collection in db.list_collections(session)]
        return [name for name in names if caller is None or caller.may_read(name)]

    # ----- translation memories -----------------------------------------------------------

    def concordance(
        self,
        caller: Caller | None,
        query: str,
        *,
        language_pair: str | None = None,
        tm: str | None = None,
        limit: int = 10,
    ) -> list[ConcordanceHit]:
        """Translation memory segments matching ``query`` (in any language, by either side),
        best first, with both sides and the matched words; ``language_pair`` ('en-es', either
        direction) and ``tm`` (a TM's name) narrow them. Only the TMs of collections ``caller``
        may read are searched."""
        collections = readable_collections(caller, None)
        if collections == [] and query.strip():
            return []
        asked = ConcordanceQuery(query, language_pair, tm, limit)
        return concordance(self.runtime, asked, None if collections is None else list(collections))

    def add_pairs_to_tm(
        self,
        caller: Caller | None,
        tm_name: str,
        collection: str,
        pairs: Iterable[NewSegment],
        origin: SegmentOrigin | str,
    ) -> TmAdded:
        """Store translation ``pairs`` in the translation memory ``tm_name`` of ``collection``
        (both created when missing) and make them searchable by :meth:`concordance`.

        Each pair is a :class:`~mexma_search.store.NewSegment`: source and target language
        (``en`` or ``en-US``), source and target text, and optionally a score (mining margin,
        alignment score) and a note. ``origin`` is 'tmx', 'import', 'mined' or 'aligned'. Pairs
        with an empty side, or already in the TM, are skipped (counted in ``skipped``).
        PermissionError when ``caller`` may not write to the collection; ValueError, with
        nothing stored, for a bad name, origin or missing language.
        """
        collection = _check_collection(collection)
        self._check_writable(caller, collection)
        return add_pairs(
            self.runtime,
            tm_name,
            collection,
            pairs,
            SegmentOrigin(origin),
            owner=owner_name(caller),
        )

    def import_tm_file(
        self,
        caller: Caller | None,
        path: Path | str,
        tm_name: str,
        collection: str,
        *,
        src_lang: str | None = None,
        trg_lang: str | None = None,
    ) -> TmAdded:
        """Add the pairs of a TMX (or TSV, CSV, JSONL) file to translation memory ``tm_name``
        (see :meth:`add_pairs_to_tm`); languages given override the file's. BitextError names
        the file and line of a problem."""
        pairs, origin = file_pairs(Path(path), src_lang, trg_lang)
        return self.add_pairs_to_tm(caller, tm_name, collection, pairs, origin)

    def list_tms(self, *, caller: Caller | None = None) -> list[TmSummary]:
        """The translation memories (with ``caller``, of the collections it may read), by
        collection and name, with their size and language pairs."""
        collections = readable_collections(caller, None)
        with read_scope(self.runtime.engine) as session:
            return list_tms(session, None if collections is None else list(collections))

    def rename_tm(
        self, caller: Caller | None, name: str, new_name: str, *, collection: str | None = None
    ) -> TmChanged:
        """Rename translation memory ``name`` (of ``collection`` when several have that name);
        see :func:`mexma_search.app.tm_manage.rename` for who may and the refusals."""
        return tm_manage.rename(self.runtime, caller, name, new_name, collection)

    def delete_tm(
        self, caller: Caller | None, name: str, *, collection: str | None = None
    ) -> TmChanged:
        """Delete translation memory ``name``, its segments and vectors; see
        :func:`mexma_search.app.tm_manage.delete`."""
        return tm_manage.delete(self.runtime, caller, name, collection)

    def manageable_tms(self, caller: Caller) -> list[TmSummary]:
        """The translation memories ``caller`` may rename and delete."""
        return tm_manage.manageable(self.runtime, caller)

    # ----- documents ----------------------------------------------------------------------

    def list_documents(
        self,
        collection: str | None = None,
        status: str | None = None,
        limit: int = 100,
        offset: int = 0,
        caller: Caller | None = None,
    ) -> list[DocumentInfo]:
        """Documents, newest first (with ``caller``, of the collections it may read)."""
        collections = readable_collections(caller, collection)
        if collections == []:
            return []
        with read_scope(self.runtime.engine) as session:
            rows = db.list_documents(
                session,
                collection=collections,
                status=DocumentStatus(status) if status else None,
                limit=limit,
                offset=offset,
            )
            return [
                DocumentInfo.from_row(row.document, row.document.collection.name) for row in rows
            ]

    def library_page(self, query: LibraryQuery, *, caller: Caller | None = None) -> LibraryPage:
        """A filtered page of the library (with ``caller``, of the collections it may read;
        see :mod:`mexma_search.app.document_operations`)."""
        return library_page(self.runtime, query, caller)

    def get_document(self, document_id: int, *, caller: Caller) -> DocumentInfo | None:
        """One document, or None; PermissionError if ``caller`` may not read it."""
        return document_info(self.runtime, document_id, caller)

    def document_passages(self, document_id: int, *, caller: Caller) -> list[PassageInfo] | None:
        """A document's passages in reading order, or None when there is no such document;
        PermissionError if ``caller`` may not read it."""
        return document_passages(self.runtime, document_id, caller)

    def delete_document(self, document_id: int, *, caller: Caller | None = None) -> bool:
        """Delete a document's rows, vectors and stored file; False if there is no such one
        that ``caller`` may read, PermissionError if they may read but not delete it (editors
        delete their own uploads, admins any)."""
        with session_scope(self.runtime.engine) as session:
            document = db.get_document(session, document_id)
            if document is None or not (caller or OPERATOR).may_read(document.collection.name):
                return False
            if caller is not None and not may_delete(
                caller, document.collection.name, document.owner
            ):
                raise PermissionError(f"{caller.name} may not delete document #{document_id}")
            stored_path = document.stored_path
            memories = tms_of_document(session, document_id)
            db.delete_document(session, document_id)
        self.runtime.index.delete_document(document_id)
        delete_tms(self.runtime, memories)
        if stored_path:
            Path(stored_path).unlink(missing_ok=True)
        return True

    def reread_document(
        self, document_id: int, encoding: str, *, caller: Caller | None = None
    ) -> int:
        """Queue a job that reads a plain-text document again in ``encoding``; its id. See
        :func:`~mexma_search.app.document_operations.queue_reread` for the refusals."""
        return queue_reread(self.runtime, self.queue, document_id, encoding, caller)

    # ----- jobs ---------------------------------------------------------------------------

    def list_jobs(
        self,
        kind: str | None = None,
        status: str | None = None,
        limit: int = 50,
        *,
        caller: Caller | None = None,
    ) -> list[JobInfo]:
        """The newest ``limit`` jobs (with ``caller``, of those it may see: see
        :meth:`visible_job`), newest first."""
        kind_filter = JobKind(kind) if kind else None
        status_filter = JobStatus(status) if status else None
        visible: list[JobInfo] = []
        with read_scope(self.runtime.engine) as session:
            for offset in itertools.count(0, limit):
                rows = db.list_jobs(
                    session, kind=kind_filter, status=status_filter, limit=limit, offset=offset
                )
                jobs = (JobInfo.from_row(row) for row in rows)
                visible += [job for job in jobs if caller is None or may_see_job(caller, job)]
                if len(visible) >= limit or len(rows) < limit:
                    break
        return visible[:limit]

    def get_job(self, job_id: int) -> JobInfo | None:
        """One job, or None."""
        with read_scope(self.runtime.engine) as session:
            job = db.get_job(session, job_id)
            return JobInfo.from_row(job) if job else None

    def visible_job(self, job_id: int, *, caller: Caller) -> JobInfo | None:
        """One job if ``caller`` may see it (admins every job, others the uploads into the
        collections they may read or write), else None."""
        job = self.get_job(job_id)
        return job if job is not None and may_see_job(caller, job) else None

    def worker_status(self) -> WorkerStatus:
        """Jobs waiting by kind, and which worker runs which job (with its heartbeat age)."""
        now = utcnow()
        with read_scope(self.runtime.engine) as session:
            jobs = db.unfinished_jobs(session)
            queued = Counter(str(job.kind) for job in jobs if job.status == JobStatus.QUEUED)
            busy = [
                BusyWorker(
                    worker=job.worker_hostname or "?",
                    job_id=job.id,
                    kind=str(job.kind),
                    stage=job.stage,
                    silent_s=(now - job.heartbeat_at).total_seconds() if job.heartbeat_at else 0.0,
                )
                for job in jobs
                if job.status == JobStatus.RUNNING
            ]
        return WorkerStatus(
            mode=self.settings.mode,
            queued=dict(queued),
            busy=busy,
            stale_after_s=self.settings.job_stale_after_s,
        )

    def cancel_job(self, job_id: int, *, caller: Caller | None = None) -> bool:
        """Ask a job to stop (a queued one stops at once); False if it had already ended."""
        with session_scope(self.runtime.engine) as session:
            job = db.get_job(session, job_id)
            if job is not None and "collection" in job.parameters:
                check_write(caller, job.parameters["collection"])
            if not db.request_cancel(session, job_id):
                return False
            job = db.get_job(session, job_id)
            assert job is not None
            document_id = job.parameters.get("document_id")
            if job.status == JobStatus.CANCELLED and document_id is not None:
                db.set_document_status(
                    session, document_id, DocumentStatus.FAILED, error="cancelled"
                )
        return True

    def wait_for_job(self, job_id: int, timeout: float | None = None) -> JobInfo:
        """Block until the job has ended; TimeoutError after ``timeout`` seconds."""
        return self.wait_for_jobs([job_id], timeout)[0]

    def wait_for_jobs(
        self,
        job_ids: Sequence[int],
        timeout: float | None = None,
        progress: JobsProgress | None = None,
    ) -> list[JobInfo]:
        """Block until all jobs have ended, calling ``progress`` with their state as it
        changes; TimeoutError after ``timeout`` seconds. KeyError for an unknown id."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            jobs = self._require_jobs(job_ids)
            if progress is not None:
                progress(jobs)
            if all(job.finished for job in jobs):
                return jobs
            if deadline is not None and time.monotonic() > deadline:
                pending = [job.id for job in jobs if not job.finished]
                raise TimeoutError(f"jobs {pending} still running after {timeout} s")
            time.sleep(POLL_SECONDS)

    def job_metrics(self, job_id: int, after_step: int = -1) -> list[dict[str, Any]]:
        """A job's per-step values with ``step > after_step`` in step order, each
        ``{"step": n, name: value, ...}`` (for live charts: poll with the last step seen)."""
        with read_scope(self.runtime.engine) as session:
            rows = db.job_metrics(session, job_id, after_step=after_step)
            return [{"step": row.step, **row.values} for row in rows]

    def _require_jobs(self, job_ids: Sequence[int]) -> list[JobInfo]:
        """The jobs, in the order given, from one read; KeyError names a missing one."""
        with read_scope(self.runtime.engine) as session:
            rows = db.get_jobs(session, job_ids)
            missing = [job_id for job_id in job_ids if job_id not in rows]
            if missing:
                raise KeyError(f"no job {missing[0]}")
            return [JobInfo.from_row(rows[job_id]) for job_id in job_ids]

    # ----- training -----------------------------------------------------------------------

    def validate_bitext(
        self, path: Path | str, *, params: Mapping[str, Any] | None = None, **read_options: Any
    ) -> dict[str, Any]:
        """Check a bitext file, streaming; nothing is stored or trained.

        ``read_options`` are :func:`~mexma_search.encoder.bitext.read_bitext`'s
        (``second_path``, ``fmt``, ``src_lang``, ``trg_lang``, ``src_column``, ``trg_column``,
        ...). Returns ``{"ok", "error", "report", "text"}``: ``ok`` when the file reads and a
        training job with ``params`` (default: the defaults) would accept its usable pairs;
        ``error`` why not (for an unreadable file: the file's name, line and problem);
        ``report`` the validation report as a dict (None if the file cannot be read); ``text``
        the report (or the error) for people.
        """
        source = BitextSource(Path(path), dict(read_options))
        languages = LanguageTally()
        try:
            layout = bitext_layout(Path(path), **source.read_options)
            report = validate_bitext(languages.count(source.read()), source.filter_options)
        except BitextError as exc:
            return {"ok": False, "error": exc.brief, "report": None, "text": exc.brief}
        error = training_refusal(params or {}, self.settings, report.pairs_kept)
        read_as = [layout_summary(layout), languages.summary()]
        text = "\n".join([*read_as, format_report(report)])
        return {"ok": error is None, "error": error, "report": report.to_dict(), "text": text}

    def bitext_fields(self, path: Path | str) -> BitextFields:
        """What a bitext file offers to choose from (TSV/CSV columns, JSONL keys, TMX
        languages), for the training form; BitextError when it cannot be read."""
        return bitext_fields(Path(path))

    def start_training(
        self,
        bitext_path: Path | str,
        *,
        base: str | None = None,
        params: Mapping[str, Any] | None = None,
        read_options: Mapping[str, Any] | None = None,
    ) -> int:
        """Queue a job that fine-tunes ``base`` (a model version, model name or directory;
        default: the live model) on a bitext file; its job id.

        The file (and ``read_options["second_path"]``) is validated, then copied into the
        uploads directory; ``params`` are :data:`~.training_params.JOB_PARAMETERS`. The job
        registers a candidate model version ``<base>-mexma-<job id>``. ValueError, with
        nothing stored or queued, for an unreadable or too small bitext or a bad parameter.
        """
        options = {k: str(v) if isinstance(v, Path) else v for k, v in (read_options or {}).items()}
        checked = self.validate_bitext(bitext_path, params=params, **options)
        if not checked["ok"]:
            raise ValueError(checked["error"])
        chosen = job_parameters(params or {}, self.settings, checked["report"]["pairs_kept"])
        base_name, base_path = self._training_base(base)
        bitext = self._store_bitext(Path(bitext_path))
        if "second_path" in options:
            options["second_path"] = str(
                self._store_bitext(Path(options["second_path"])).stored_path
            )
        parameters = {
            "bitext": str(bitext.stored_path),
            **filename_parameters(bitext),
            "read_options": options,
            "base": base_name,
            "base_path": base_path,
            "params": chosen,
            "validation": checked["report"],
        }
        with session_scope(self.runtime.engine) as session:
            job = db.create_job(session, JobKind.TRAIN, parameters=parameters)
            name = version_name(f"{base_name}-mexma-{job.id}")
            job.parameters = {**parameters, "model_version": name}
            job_id = job.id
        self.queue.enqueue(job_id, Step.TRAIN)
        return job_id

    def _training_base(self, base: str | None) -> tuple[str, str]:
        """The version name and loadable source of the model to fine-tune."""
        name = base if base is not None else live_version(self.runtime)
        if name is None:  # nothing serves yet: the default model
            default = self.settings.default_model
            return version_name(default), resolve_model_source(default, self.settings)
        with session_scope(self.runtime.engine) as session:
            registered = db.get_model_version(session, name)
            if registered is not None:
                return registered.name, registered.path
        return version_name(name), resolve_model_source(name, self.settings)

    def _store_bitext(self, path: Path) -> StoredFile:
        assert self.settings.uploads_dir is not None
        stored = store_bitext(
            path, self.settings.uploads_dir / "bitext", self.settings.max_upload_mb << 20
        )
        if isinstance(stored, RejectedFile):
            raise ValueError(f"{stored.filename}: {stored.reason}")
        return stored

    # ----- model versions -----------------------------------------------------------------

    def list_model_versions(self) -> list[ModelVersionInfo]:
        """Registered model versions, newest first; the live one is marked."""
        live = self.runtime.index.alias_target(LIVE_ALIAS)
        with session_scope(self.runtime.engine) as session:
            return [ModelVersionInfo.from_row(m, live) for m in db.list_model_versions(session)]

    def worse_metrics(self, name: str) -> list[MetricChange]:
        """The held-out metrics that got worse when model version ``name`` was trained (none
        for a model that is not a registered version or has no before/after)."""
        with session_scope(self.runtime.engine) as session:
            registered = db.get_model_version(session, version_name(name))
            return worse_metrics(registered.metrics) if registered else []

    def promote_model(
        self, name: str, *, accept_worse: bool = False, caller: Caller | None = None
    ) -> int:
        """Start a reindex job that makes model ``name`` live (a registered version, a model
        in the models directory, or a directory); its job id. Only admins may.
        WorseMetricsError, unless ``accept_worse``, when any of the version's held-out
        metrics got worse."""
        if caller is not None and caller.role is not Role.ADMIN:
            raise PermissionError(f"{caller.name} may not promote models: admins only")
        version = version_name(name)
        live_collection(self.runtime)  # the version it replaces is registered and live
        with session_scope(self.runtime.engine) as session:
            registered = db.get_model_version(session, version)
            source = registered.source if registered else resolve_model_source(name, self.settings)
            if registered is None and not Path(source).is_dir():
                raise ValueError(f"no model version or model directory named {name!r}")
            worse = worse_metrics(registered.metrics) if registered else []
            if worse and not accept_worse:
                raise WorseMetricsError(version, worse)
            if any(job.kind == JobKind.REINDEX for job in db.unfinished_jobs(session)):
                raise RuntimeError("another model is being promoted: wait for that job first")
            job = db.create_job(
                session, JobKind.REINDEX, parameters={"model_version": version, "source": source}
            )
        self.queue.enqueue(job.id, Step.REINDEX)
        return job.id


def _check_collection(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_COLLECTION_NAME:
        raise ValueError(f"a collection name has 1 to {MAX_COLLECTION_NAME} characters")
    return name


def may_see_job(caller: Caller, job: JobInfo) -> bool:
    """Admins see every job, others the uploads into collections they may read or write."""
    if caller.role is Role.ADMIN:
        return True
    collection = job.parameters.get("collection")
    return isinstance(collection, str) and (
        caller.may_read(collection) or caller.may_write(collection)
    )
