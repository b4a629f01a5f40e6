"""The HTTP API, served beside the UI under ``/api`` (OpenAPI docs at ``/api/docs``).

Every route needs a bearer API token (:mod:`mexma_search.app.api_tokens`), whose scope
decides what it may do (:func:`.auth.needs`); every error answers
``{"error": {"code": ..., "message": ...}}`` (:mod:`.errors`). The routes are thin: the
services do the work, with the token's caller.
"""

from __future__ import annotations

from importlib.metadata import version

from fastapi import FastAPI
from starlette.routing import BaseRoute, Mount

from mexma_search.app.running_app import API_PREFIX
from mexma_search.app.services import Services
from mexma_search.webapp.api import (
    document_routes,
    job_routes,
    model_routes,
    search_routes,
    tm_routes,
)
from mexma_search.webapp.api.errors import ERROR_RESPONSES, install_error_handlers

DESCRIPTION = """Search, documents, jobs, collections, model versions and translation memories of
MEXMA Search.

Send an API token with every request: `Authorization: Bearer mxs_...`. An admin creates
tokens (`mexma-search tokens create`, or the Admin tab). Scopes nest: **read** (search,
read documents, jobs, collections, models, translation memories), **write** (also upload,
delete, cancel) and **admin** (also promote a model version). Errors answer
`{"error": {"code": "...", "message": "..."}}`."""


def build_api(services: Services) -> FastAPI:
    """The API application over ``services``."""
    api = FastAPI(
        title="MEXMA Search API",
        version=version("mexma-search"),
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        responses=ERROR_RESPONSES,
    )
    api.state.services = services
    install_error_handlers(api)
    for module in (search_routes, document_routes, job_routes, model_routes, tm_routes):
        api.include_router(module.router)
    return api


def api_routes(services: Services) -> list[BaseRoute]:
    """The API mounted at ``/api``, for the server that serves the UI."""
    return [Mount(API_PREFIX, app=build_api(services))]
