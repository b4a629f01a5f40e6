"""``/api/collections`` and ``/api/models``: collection names, model versions, promotion."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from mexma_search.app.views import ModelVersionInfo
from mexma_search.webapp.api.auth import Admin, Reader, ServicesDep
from mexma_search.webapp.api.errors import ApiError

router = APIRouter()


class CollectionList(BaseModel):
    items: list[str]


class ModelList(BaseModel):
    """Registered model versions, newest first; ``live`` marks the one search uses."""

    items: list[ModelVersionInfo]


class Promotion(BaseModel):
    """The reindex job that makes the model live (follow it at ``/api/jobs/{id}``)."""

    job_id: int


@router.get("/collections", response_model=CollectionList, tags=["collections"])
def list_collections(services: ServicesDep, caller: Reader) -> CollectionList:
    """The collections this token may read."""
    return CollectionList(items=services.collections(caller=caller))


@router.get("/models", response_model=ModelList, tags=["models"], summary="List model versions")
def list_models(services: ServicesDep, caller: Reader) -> ModelList:
    return ModelList(items=services.list_model_versions())


@router.post(
    "/models/{name}/promote",
    response_model=Promotion,
    status_code=202,
    tags=["models"],
    summary="Make a model version live (admin)",
)
def promote_model(name: str, services: ServicesDep, caller: Admin) -> Promotion:
    """Queue the reindex job that re-embeds every passage with ``name`` and then switches
    search to it."""
    try:
        job_id = services.promote_model(name, caller=caller)
    except RuntimeError as exc:
        raise ApiError(409, str(exc)) from exc
    return Promotion(job_id=job_id)
