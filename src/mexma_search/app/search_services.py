"""Search operations of :class:`~mexma_search.app.services.Services`: matches for a query, a
page of them, and the languages that can be searched."""

from __future__ import annotations

from collections.abc import Sequence

from mexma_search import store as db
from mexma_search.app.access import Caller
from mexma_search.app.caller_checks import readable_collections
from mexma_search.app.paging import search_page
from mexma_search.app.search import Query, SearchMode
from mexma_search.app.search import search as search_index
from mexma_search.app.service_base import ServiceBase
from mexma_search.app.views import SearchPage, SearchResult
from mexma_search.store import read_scope


class SearchServices(ServiceBase):
    """Searching the index, within the collections the caller may read."""

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
