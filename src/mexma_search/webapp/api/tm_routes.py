"""``/api/tm``: the translation memories, and concordance search over them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from mexma_search.app.concordance import ConcordanceHit
from mexma_search.app.search import MAX_K
from mexma_search.store import TmSummary
from mexma_search.webapp.api.auth import Reader, ServicesDep

router = APIRouter(tags=["translation memory"])


class ConcordancePage(BaseModel):
    """The segments matching ``query``, best first."""

    query: str
    results: list[ConcordanceHit]


@router.get("/tm", response_model=list[TmSummary], summary="List translation memories")
def list_tms(services: ServicesDep, caller: Reader) -> list[TmSummary]:
    """The translation memories of the collections the token's owner may read, with their
    size and language pairs."""
    return services.list_tms(caller=caller)


@router.get(
    "/tm/search", response_model=ConcordancePage, summary="Concordance: how was this translated?"
)
def search_tm(
    services: ServicesDep,
    caller: Reader,
    q: Annotated[str, Query(description="words or a sentence, in any language")],
    limit: Annotated[int, Query(ge=1, le=MAX_K, description="segments wanted")] = 10,
    pair: Annotated[
        str | None, Query(description="only this language pair, either direction (en-es)")
    ] = None,
    tm: Annotated[str | None, Query(description="only the translation memory of this name")] = None,
) -> ConcordancePage:
    """Translation memory segments whose source or target matches ``q`` by meaning or by its
    words, each with both sides, the side that matched, and the character spans of the query's
    words on each side."""
    found = services.concordance(caller, q, language_pair=pair, tm=tm, limit=limit)
    return ConcordancePage(query=q, results=found)
