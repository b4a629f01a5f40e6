"""JSON routes served beside the UI for the command line: ``GET /api/search``.

A CLI command cannot open the embedded index while ``serve`` holds it; it asks the running
app here instead. It answers for the operator (every collection) when the request carries the
app's operator token (see :mod:`mexma_search.app.running_app`), else as the search tab does:
for the user of the request's session cookie, else for the anonymous reader (403 when
anonymous reading is off).
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, cast

import gradio as gr
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from mexma_search.app.access import OPERATOR, Caller
from mexma_search.app.running_app import OPERATOR_HEADER, SEARCH_PATH
from mexma_search.app.services import Services
from mexma_search.webapp.sessions import UserSessions

if TYPE_CHECKING:
    from mexma_search.app.search import SearchMode


def local_api_routes(
    services: Services, sessions: UserSessions, operator_token: str
) -> list[BaseRoute]:
    """The routes, answering with ``services`` for the operator (``operator_token``) or the
    callers ``sessions`` finds."""

    def caller_of(request: Request) -> Caller:
        token = request.headers.get(OPERATOR_HEADER, "")
        if token and hmac.compare_digest(token.encode(), operator_token.encode()):
            return OPERATOR
        return sessions.caller(request)

    def search(request: Request) -> JSONResponse:
        try:
            caller = caller_of(request)
        except gr.Error as exc:
            return JSONResponse({"error": exc.message}, status_code=403)
        params = request.query_params
        mode = params.get("mode")
        if mode not in (None, "hybrid", "dense"):
            return JSONResponse({"error": f"mode must be hybrid or dense, not {mode!r}"}, 400)
        try:
            k = int(params.get("k", "10"))
            results = services.search(
                params.get("q", ""),
                k=k,
                lang=params.getlist("lang") or None,
                collection=params.getlist("collection") or None,
                mode=cast("SearchMode | None", mode),
                group=params.get("group", "1") != "0",
                caller=caller,
            )
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse([result.to_dict() for result in results])

    return [Route(SEARCH_PATH, search, methods=["GET"])]
