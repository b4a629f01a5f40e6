"""``/api/jobs``: list, read and cancel background jobs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from mexma_search.app.views import JobInfo
from mexma_search.store import JobKind, JobStatus
from mexma_search.webapp.api.auth import Reader, ServicesDep, Writer
from mexma_search.webapp.api.errors import ApiError, found

router = APIRouter(prefix="/jobs", tags=["jobs"])


class JobList(BaseModel):
    """Jobs, newest first."""

    items: list[JobInfo]


class Cancelled(BaseModel):
    cancelled: int


@router.get("", response_model=JobList, summary="List jobs")
def list_jobs(
    services: ServicesDep,
    caller: Reader,
    kind: JobKind | None = None,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> JobList:
    jobs = services.list_jobs(
        kind=kind.value if kind else None,
        status=status.value if status else None,
        limit=limit,
        caller=caller,
    )
    return JobList(items=jobs)


@router.get("/{job_id}", response_model=JobInfo, summary="One job and its progress")
def get_job(job_id: int, services: ServicesDep, caller: Reader) -> JobInfo:
    return found(services.visible_job(job_id, caller=caller), f"job {job_id}")


@router.post("/{job_id}/cancel", response_model=Cancelled, summary="Cancel a job")
def cancel_job(job_id: int, services: ServicesDep, caller: Writer) -> Cancelled:
    """Ask a job to stop (a queued one stops at once, a running one after its batch)."""
    found(services.visible_job(job_id, caller=caller), f"job {job_id}")
    if not services.cancel_job(job_id, caller=caller):
        raise ApiError(409, f"job {job_id} has already ended")
    return Cancelled(cancelled=job_id)
