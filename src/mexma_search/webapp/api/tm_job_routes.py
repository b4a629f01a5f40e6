"""``/api/tm/mine``, ``/api/tm/align``, ``/api/tm/jobs``: start translation-memory mining and
alignment jobs, read their pairs (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from mexma_search.app.tm_jobs import AlignmentSide, MiningSide, NoPairsError, UnknownJobError
from mexma_search.tm.results import MAX_PAGE_SIZE, ResultQuery, SortKey
from mexma_search.webapp.api.auth import Admin, ServicesDep
from mexma_search.webapp.api.errors import ApiError

router = APIRouter(prefix="/tm", tags=["translation memory jobs"])


class MiningSideIn(BaseModel):
    """The sentences in ``lang`` of a collection (of its ``document_ids`` only, if given)."""

    collection: str
    lang: str
    document_ids: list[int] = Field(default_factory=list)


MODEL_FIELD = Field(
    default=None,
    description="The model version to encode with (default: the live one); a version tuned "
    "for mining need not serve search.",
)


class MiningRequest(BaseModel):
    source: MiningSideIn
    target: MiningSideIn
    threshold: float | None = Field(
        default=None,
        description="Keep pairs whose verified margin score (margin plus word-level "
        "agreement) is at least this (default 1.0).",
    )
    model: str | None = MODEL_FIELD


class AlignmentSideIn(BaseModel):
    """A document, and the language of its sentences (default: the document's first)."""

    document_id: int
    lang: str | None = None


class AlignmentRequest(BaseModel):
    source: AlignmentSideIn
    target: AlignmentSideIn
    model: str | None = MODEL_FIELD


class Started(BaseModel):
    """The queued job: follow it at ``/api/jobs/{id}``, read its pairs at
    ``/api/tm/jobs/{id}/pairs``."""

    job_id: int


class PairOut(BaseModel):
    position: int
    src: str
    trg: str
    score: float


class PairPage(BaseModel):
    """A page of a finished job's pairs, with how many match the filters and are in all."""

    items: list[PairOut]
    page: int
    page_size: int
    pages: int
    matched: int
    total: int


@router.post("/mine", response_model=Started, status_code=202, summary="Mine pairs (admin)")
def start_mining(request: MiningRequest, services: ServicesDep, caller: Admin) -> Started:
    """Queue a job that finds the sentence pairs of two collections that translate each
    other (ratio-margin mining with the live model, or the version ``model`` names)."""
    job_id = services.tm.start_mining(
        _mining_side(request.source),
        _mining_side(request.target),
        threshold=request.threshold,
        model=request.model,
        caller=caller,
    )
    return Started(job_id=job_id)


@router.post("/align", response_model=Started, status_code=202, summary="Align documents (admin)")
def start_alignment(request: AlignmentRequest, services: ServicesDep, caller: Admin) -> Started:
    """Queue a job that aligns the sentences of a document and its translation, in order."""
    job_id = services.tm.start_alignment(
        AlignmentSide(request.source.document_id, request.source.lang),
        AlignmentSide(request.target.document_id, request.target.lang),
        model=request.model,
        caller=caller,
    )
    return Started(job_id=job_id)


@router.get(
    "/jobs/{job_id}/pairs", response_model=PairPage, summary="A finished job's pairs (admin)"
)
def job_pairs(
    job_id: int,
    services: ServicesDep,
    caller: Admin,
    min_score: float | None = None,
    contains: Annotated[str, Query(max_length=500)] = "",
    sort: SortKey = "score",
    ascending: bool = False,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> PairPage:
    """Filtered (minimum score, text in either side, ignoring case), sorted and paged."""
    query = ResultQuery(min_score, contains, sort, ascending, page, page_size)
    try:
        found = services.tm.results(job_id, query, caller=caller)
    except UnknownJobError as exc:
        raise ApiError(404, str(exc)) from exc
    except NoPairsError as exc:
        raise ApiError(409, str(exc)) from exc
    return PairPage.model_validate(found.to_dict())


def _mining_side(side: MiningSideIn) -> MiningSide:
    return MiningSide(side.collection, side.lang, tuple(side.document_ids))
