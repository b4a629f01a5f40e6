"""What the web UI, the REST API and the CLI call: typed operations that return plain records.

:class:`Services` gathers the operations, one group per module: search
(:mod:`.search_services`), the library (:mod:`.library_services`), jobs (:mod:`.job_services`),
training (:mod:`.training_services`) and model versions (:mod:`.model_services`), all over one
runtime and job queue (:mod:`.service_base`); the translation-memory operations are here.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from mexma_search.app import tm_manage
from mexma_search.app.access import Caller, owner_name
from mexma_search.app.api_tokens import ApiTokens
from mexma_search.app.caller_checks import readable_collections
from mexma_search.app.concordance import ConcordanceHit, ConcordanceQuery, concordance
from mexma_search.app.job_queue import JobQueue
from mexma_search.app.job_services import JobServices
from mexma_search.app.library_services import LibraryServices
from mexma_search.app.model_services import ModelServices
from mexma_search.app.runtime import Runtime
from mexma_search.app.search_services import SearchServices
from mexma_search.app.service_base import check_collection as _check_collection
from mexma_search.app.tm_jobs import TmJobs
from mexma_search.app.tm_manage import TmChanged
from mexma_search.app.training_services import TrainingServices
from mexma_search.app.translation_memories import TmAdded, add_pairs, file_pairs
from mexma_search.store import read_scope
from mexma_search.store.tm_tables import SegmentOrigin
from mexma_search.store.translation_memory import NewSegment, TmSummary, list_tms


class Services(SearchServices, LibraryServices, JobServices, TrainingServices, ModelServices):
    """The backend's operations over the process's runtime, queueing jobs on ``queue``
    (see :func:`mexma_search.jobs.backends.open_services` for the one the settings name)."""

    def __init__(self, runtime: Runtime, queue: JobQueue) -> None:
        super().__init__(runtime, queue)
        self.tokens = ApiTokens(lambda: self.runtime.engine)
        # translation-memory mining and alignment jobs, their pairs
        self.tm = TmJobs(runtime, queue)

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
