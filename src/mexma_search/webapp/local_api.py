"""JSON routes served beside the UI for the command line: ``GET /api/search`` (a page of
results: ``q``, ``k`` results a page, ``page``, ``all=1`` to keep those under the relevance
floor, ``mode``, ``group``, ``lang`` and ``collection``).

A CLI command cannot open the embedded index while ``serve`` holds it; it asks the running
app here instead. Search is open to anyone who can reach the UI, as the search tab is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from mexma_search.app.running_app import SEARCH_PATH
from mexma_search.app.services import Services

if TYPE_CHECKING:
    from mexma_search.app.search import SearchMode


def local_api_routes(services: Services) -> list[BaseRoute]:
    """The routes, answering with ``services``."""

    def search(request: Request) -> JSONResponse:
        params = request.query_params
        mode = params.get("mode")
        if mode not in (None, "hybrid", "dense"):
            return JSONResponse({"error": f"mode must be hybrid or dense, not {mode!r}"}, 400)
        try:
            found = services.search_page(
                params.get("q", ""),
                page=int(params.get("page", "1")),
                page_size=int(params.get("k", "10")),
                show_all=params.get("all", "0") == "1",
                lang=params.getlist("lang") or None,
                collection=params.getlist("collection") or None,
                mode=cast("SearchMode | None", mode),
                group=params.get("group", "1") != "0",
            )
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(found.to_dict())

    return [Route(SEARCH_PATH, search, methods=["GET"])]
