"""Paged search: pages of one ranking, with results under the relevance floor left out.

A page is a slice of the ranking of its first ``page * page_size + 1`` cards (one more tells
whether a next page exists); an engine's ranking of more cards starts with its ranking of
fewer, so the pages follow on from each other. Results scoring under the floor are left out
unless ``show_all``; when that leaves a page short, the ranking is read to MAX_K cards.
"""

from __future__ import annotations

from mexma_search.app.runtime import Runtime
from mexma_search.app.search import Query, rank, results_of
from mexma_search.app.views import MAX_K, SearchPage

MAX_PAGE_SIZE = 50


def search_page(
    runtime: Runtime, query: Query, *, page: int, page_size: int, show_all: bool
) -> SearchPage:
    """Page ``page`` (from 1) of the matches for ``query`` (see :func:`.search.search`)."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"the page size must be between 1 and {MAX_PAGE_SIZE} (got {page_size})")
    last_page = -(-MAX_K // page_size)
    if not 1 <= page <= last_page:
        raise ValueError(
            f"page must be between 1 and {last_page} for {page_size} results a page "
            f"(at most {MAX_K} results; got {page})"
        )
    start, end = (page - 1) * page_size, page * page_size
    depth = min(end + 1, MAX_K)
    while True:
        ranking = rank(runtime, query, k=depth)
        shown = [card for card in ranking.cards if show_all or ranking.relevance(card) != "poor"]
        if len(shown) > end or ranking.exhausted or depth == MAX_K:
            break
        depth = MAX_K
    return SearchPage(
        results=tuple(results_of(ranking, shown[start:end], highlight=True)),
        page=page,
        page_size=page_size,
        has_next=len(shown) > end,
        hidden=len(ranking.cards) - len(shown),
        show_all=show_all,
    )
