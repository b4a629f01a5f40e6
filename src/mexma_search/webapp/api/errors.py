"""The API's one error body, ``{"error": {"code": ..., "message": ...}}``, for every failure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

# the code sent with each HTTP status the API answers with
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid_request",
    500: "internal_error",
}


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """What every failed request answers."""

    error: ErrorDetail


class ApiError(HTTPException):
    """An answer with status ``status_code`` and the error body."""

    def __init__(self, status_code: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(status_code, message, headers)


T = TypeVar("T")


def found(value: T | None, what: str) -> T:
    """``value``, or a 404 saying there is no ``what``."""
    if value is None:
        raise ApiError(404, f"no {what}")
    return value


def error_response(
    status: int, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"code": CODES.get(status, "error"), "message": message}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, str(exc.detail), exc.headers)


def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
    ]
    return error_response(422, "; ".join(problems))


def _bad_value(request: Request, exc: Exception) -> JSONResponse:
    return error_response(422, str(exc))


def _forbidden(request: Request, exc: Exception) -> JSONResponse:
    return error_response(403, str(exc))


def _internal(request: Request, exc: Exception) -> JSONResponse:
    return error_response(500, f"the server failed: {type(exc).__name__}")


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` with the error body. The services' ValueError means bad
    input (422) and their PermissionError a caller without the right (403)."""
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(ValueError, _bad_value)
    app.add_exception_handler(PermissionError, _forbidden)
    app.add_exception_handler(Exception, _internal)


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorBody, "description": code}
    for status, code in CODES.items()
    if status in (401, 403, 404, 422)
}
