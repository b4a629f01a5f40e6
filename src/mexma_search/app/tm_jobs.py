"""Translation-memory jobs: mining sentence pairs from two collections, aligning two documents,
and reading, exporting and reusing their pairs. Admins only.

A job is stored with kind ``embed`` (encoder work over stored text that is no document's
ingestion) and parameter ``task`` (:data:`MINE` or :data:`ALIGN`); it runs on the encoder's
queue (:class:`~mexma_search.jobs.tm.TranslationMemoryJob`) with the serving model, or with the
model version of parameter ``model`` (a candidate tuned for mining need not serve search). Its
pairs go to ``<data_dir>/tm_results/<job id>.jsonl`` (:mod:`mexma_search.tm.results`), which
the finished job's metrics name, with the model version that encoded them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from mexma_search import store as db
from mexma_search.app.access import Caller, Role
from mexma_search.app.job_queue import JobQueue
from mexma_search.app.queues import Step
from mexma_search.app.runtime import Runtime
from mexma_search.app.settings import Settings
from mexma_search.app.views import JobInfo
from mexma_search.documents.langid import normalize_language
from mexma_search.store import JobKind, JobStatus, NewSegment, read_scope, session_scope
from mexma_search.tm.export import export_pairs
from mexma_search.tm.results import ResultCache, ResultPage, ResultQuery, result_page

MINE = "mine"
ALIGN = "align"
TASKS = (MINE, ALIGN)
RESULTS_FOLDER = "tm_results"
MAX_DOCUMENTS_PER_SIDE = 10_000


class UnknownJobError(LookupError):
    """No mining or alignment job has that id."""


class NoPairsError(ValueError):
    """The job has no pairs to read: it has not succeeded (yet), or its file is gone."""


@dataclass(frozen=True)
class MiningSide:
    """One side of a mining job: the sentences in ``lang`` of a collection (of its
    ``document_ids`` only, when given)."""

    collection: str
    lang: str
    document_ids: tuple[int, ...] = ()

    def to_parameters(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "lang": self.lang,
            "document_ids": list(self.document_ids),
        }


@dataclass(frozen=True)
class AlignmentSide:
    """One side of an alignment job: a document, and the language of its sentences to align
    (None: the document's first language)."""

    document_id: int
    lang: str | None = None

    def to_parameters(self) -> dict[str, Any]:
        return {"document_id": self.document_id, "lang": self.lang}


@dataclass
class TmJobs:
    """Start translation-memory jobs and read their results (see the module's docstring)."""

    runtime: Runtime
    queue: JobQueue
    cache: ResultCache = field(default_factory=ResultCache)

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    def start_mining(
        self,
        source: MiningSide,
        target: MiningSide,
        *,
        threshold: float | None = None,
        model: str | None = None,
        caller: Caller | None = None,
    ) -> int:
        """Queue a job that mines the pairs of ``source`` and ``target`` that translate each
        other (verified margin score at least ``threshold``, default
        :data:`~mexma_search.tm.verify.DEFAULT_VERIFIED_THRESHOLD`) with model version
        ``model`` (None: the live one); its job id."""
        require_admin(caller, "mine translation pairs")
        sides = [
            _checked_mining_side(side, name)
            for side, name in ((source, "source"), (target, "target"))
        ]
        if threshold is not None and not math.isfinite(threshold):
            raise ValueError("the threshold must be a number")
        with read_scope(self.runtime.engine) as session:
            known = {collection.name for collection in db.list_collections(session)}
            version = _checked_model(session, model)
        for side in sides:
            if side.collection not in known:
                raise ValueError(f"no collection named {side.collection!r}")
        parameters = {
            "task": MINE,
            "source": sides[0].to_parameters(),
            "target": sides[1].to_parameters(),
            "threshold": threshold,
            "model": version,
        }
        return self._queue(parameters)

    def start_alignment(
        self,
        source: AlignmentSide,
        target: AlignmentSide,
        *,
        model: str | None = None,
        caller: Caller | None = None,
    ) -> int:
        """Queue a job that aligns the sentences of two documents that translate each other,
        with model version ``model`` (None: the live one); its job id."""
        require_admin(caller, "align documents")
        if source.document_id == target.document_id:
            raise ValueError("choose two different documents")
        with read_scope(self.runtime.engine) as session:
            for side in (source, target):
                if db.get_document(session, side.document_id) is None:
                    raise ValueError(f"no document #{side.document_id}")
            version = _checked_model(session, model)
        parameters = {
            "task": ALIGN,
            "source": _checked_alignment_side(source).to_parameters(),
            "target": _checked_alignment_side(target).to_parameters(),
            "model": version,
        }
        return self._queue(parameters)

    def _queue(self, parameters: dict[str, Any]) -> int:
        with session_scope(self.runtime.engine) as session:
            job_id = db.create_job(session, JobKind.EMBED, parameters=parameters).id
        self.queue.enqueue(job_id, Step.TM)
        return job_id

    def list_jobs(self, *, caller: Caller | None = None, limit: int = 50) -> list[JobInfo]:
        """The translation-memory jobs, newest first."""
        require_admin(caller, "see translation-memory jobs")
        with read_scope(self.runtime.engine) as session:
            rows = db.list_jobs(session, kind=JobKind.EMBED, limit=limit)
            return [JobInfo.from_row(row) for row in rows if row.parameters.get("task") in TASKS]

    def finished_job(self, job_id: int, *, caller: Caller | None = None) -> JobInfo:
        """A translation-memory job that succeeded; :class:`UnknownJobError` or
        :class:`NoPairsError` saying why not otherwise."""
        require_admin(caller, "read translation-memory results")
        with read_scope(self.runtime.engine) as session:
            row = db.get_job(session, job_id)
            job = JobInfo.from_row(row) if row is not None else None
        if job is None or job.kind != JobKind.EMBED or job.parameters.get("task") not in TASKS:
            raise UnknownJobError(f"no mining or alignment job #{job_id}")
        if job.status != JobStatus.SUCCEEDED:
            raise NoPairsError(f"job #{job_id} has no pairs: it is {job.status}")
        return job

    def results(
        self, job_id: int, query: ResultQuery, *, caller: Caller | None = None
    ) -> ResultPage:
        """A page of a finished job's pairs (see :class:`~mexma_search.tm.results.ResultQuery`)."""
        job = self.finished_job(job_id, caller=caller)
        return result_page(self.cache.pairs(self._result_file(job)), query)

    def export(
        self,
        job_id: int,
        destination: Path,
        query: ResultQuery | None = None,
        *,
        caller: Caller | None = None,
    ) -> Path:
        """Write a finished job's pairs that pass ``query``'s filters, in its order, to
        ``destination`` (TSV or TMX 1.4 by its suffix); the path."""
        job = self.finished_job(job_id, caller=caller)
        pairs = self.cache.pairs(self._result_file(job))
        if query is not None:
            pairs = query.matching(pairs)
        return export_pairs(destination, pairs, *job_languages(job))

    def training_bitext(
        self,
        job_id: int,
        folder: Path,
        query: ResultQuery | None = None,
        *,
        caller: Caller | None = None,
    ) -> Path:
        """A TMX bitext of a finished job's pairs that pass ``query``'s filters, written in
        ``folder`` for the training form; its path."""
        folder.mkdir(parents=True, exist_ok=True)
        job = self.finished_job(job_id, caller=caller)
        src_lang, trg_lang = job_languages(job)
        name = f"{job.parameters['task']}-{job_id}-{src_lang}-{trg_lang}.tmx"
        return self.export(job_id, folder / name, query, caller=caller)

    def segments(
        self, job_id: int, query: ResultQuery | None = None, *, caller: Caller | None = None
    ) -> tuple[str, list[NewSegment]]:
        """A finished job's pairs that pass ``query``'s filters as translation-memory
        segments, and their origin (``mined`` or ``aligned``) for
        :meth:`~mexma_search.app.services.Services.add_pairs_to_tm`."""
        job = self.finished_job(job_id, caller=caller)
        pairs = self.cache.pairs(self._result_file(job))
        if query is not None:
            pairs = query.matching(pairs)
        src_lang, trg_lang = job_languages(job)
        task = job.parameters["task"]
        note = f"{task} job #{job.id}"
        segments = [NewSegment(src_lang, trg_lang, p.src, p.trg, p.score, note) for p in pairs]
        return ("mined" if task == MINE else "aligned"), segments

    def _result_file(self, job: JobInfo) -> Path:
        path = results_path(self.settings, job.id)
        if not path.is_file():
            raise NoPairsError(f"the pairs of job #{job.id} are gone: {path.name} is missing")
        return path


def results_path(settings: Settings, job_id: int) -> Path:
    """Where job ``job_id`` writes its pairs."""
    return settings.data_dir / RESULTS_FOLDER / f"{job_id}.jsonl"


def job_languages(job: JobInfo) -> tuple[str, str]:
    """The source and target language of a finished job's pairs."""
    return str(job.metrics.get("src_lang") or "und"), str(job.metrics.get("trg_lang") or "und")


def require_admin(caller: Caller | None, action: str) -> None:
    """PermissionError unless ``caller`` is an admin (None: the operator's own call)."""
    if caller is not None and caller.role is not Role.ADMIN:
        raise PermissionError(f"{caller.name} may not {action}: admins only")


def _checked_model(session: Session, name: str | None) -> str | None:
    """``name`` stripped, None for the live model; ValueError when no version has it."""
    version = (name or "").strip()
    if not version:
        return None
    if db.get_model_version(session, version) is None:
        raise ValueError(f"no model version named {version!r}")
    return version


def _checked_mining_side(side: MiningSide, name: str) -> MiningSide:
    collection = side.collection.strip()
    if not collection:
        raise ValueError(f"choose the {name} collection")
    if len(side.document_ids) > MAX_DOCUMENTS_PER_SIDE:
        raise ValueError(f"choose at most {MAX_DOCUMENTS_PER_SIDE} {name} documents")
    return MiningSide(collection, _language(side.lang, name), tuple(sorted(set(side.document_ids))))


def _checked_alignment_side(side: AlignmentSide) -> AlignmentSide:
    lang = (side.lang or "").strip()
    return AlignmentSide(side.document_id, _language(lang, "document") if lang else None)


def _language(code: str, name: str) -> str:
    text = (code or "").strip()
    if not text:
        raise ValueError(f"give the {name} language (e.g. en)")
    lang = normalize_language(text)
    if not lang or len(lang) > 16:
        raise ValueError(f"{text!r} is not a language code")
    return lang
