"""``/api/search``: search with filters, grouping and pagination, and its export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from mexma_search.app.access import Caller
from mexma_search.app.export import EXPORT_FORMATS, ExportFormat, export_results
from mexma_search.app.search import SearchMode
from mexma_search.app.services import Services
from mexma_search.app.views import MAX_K, SearchResult
from mexma_search.webapp.api.auth import Reader, ServicesDep
from mexma_search.webapp.api.errors import ApiError
from mexma_search.webapp.api.files import attachment, file_responses

router = APIRouter(tags=["search"])


@dataclass(frozen=True)
class SearchQuery:
    """The query parameters of a search (shared by the search and its export)."""

    q: Annotated[str, Query(description="the query, in any language")]
    k: Annotated[int, Query(ge=1, le=MAX_K, description="results on this page")] = 10
    offset: Annotated[int, Query(ge=0, lt=MAX_K, description="results skipped (paging)")] = 0
    lang: Annotated[list[str] | None, Query(description="only passages in these languages")] = None
    collection: Annotated[list[str] | None, Query(description="only these collections")] = None
    document_id: Annotated[list[int] | None, Query(description="only these documents")] = None
    mode: Annotated[SearchMode | None, Query(description="hybrid or dense (default: setting)")] = (
        None
    )
    group: Annotated[bool, Query(description="one result per document, with more passages")] = True

    def run(self, services: Services, caller: Caller, k: int) -> list[SearchResult]:
        return services.search(
            self.q,
            k=k,
            lang=self.lang,
            collection=self.collection,
            document_id=self.document_id,
            mode=self.mode,
            group=self.group,
            caller=caller,
        )


class SearchPage(BaseModel):
    """One page of results, best first; ``next_offset`` asks for the next page (null at the end)."""

    query: str
    offset: int
    results: list[SearchResult]
    next_offset: int | None


@router.get("/search", response_model=SearchPage, summary="Search in any language")
def search(
    params: Annotated[SearchQuery, Depends()], services: ServicesDep, caller: Reader
) -> SearchPage:
    """Documents (``group``) or passages closest in meaning to ``q``, best first."""
    end = params.offset + params.k
    if end > MAX_K:
        raise ApiError(422, f"offset + k must be at most {MAX_K} (got {end})")
    # one more than the page, to tell whether a next page exists
    found = params.run(services, caller, min(end + 1, MAX_K))
    page = found[params.offset : end]
    more = len(found) > end
    return SearchPage(
        query=params.q, offset=params.offset, results=page, next_offset=end if more else None
    )


@router.get(
    "/search/export",
    response_class=Response,
    summary="Export search results as CSV or JSON Lines",
    responses=file_responses(*EXPORT_FORMATS),
)
def export_search(
    params: Annotated[SearchQuery, Depends()],
    services: ServicesDep,
    caller: Reader,
    format: Annotated[Literal["csv", "jsonl"], Query(description="csv or jsonl")] = "csv",
) -> Response:
    """The first ``k`` results (CSV: one row per passage; JSONL: one result per line)."""
    fmt: ExportFormat = format
    results = params.run(services, caller, params.k)
    return attachment(export_results(results, fmt), fmt, "search-results")
