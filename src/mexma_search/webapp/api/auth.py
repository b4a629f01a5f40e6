"""Who a request acts for: the one dependency that turns a bearer token into a Caller."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mexma_search.app.access import Caller
from mexma_search.app.api_tokens import TokenRefusedError, TokenScope, caller_for_token
from mexma_search.app.services import Services
from mexma_search.webapp.api.errors import ApiError

BEARER = HTTPBearer(
    auto_error=False,
    description="An API token (`mexma-search tokens create`, or the Admin tab): "
    "`Authorization: Bearer mxs_...`",
)
CHALLENGE = {"WWW-Authenticate": "Bearer"}


def get_services(request: Request) -> Services:
    """The services the API answers with."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


@dataclass(frozen=True)
class Authenticated:
    """A request's caller and its token's scope."""

    caller: Caller
    scope: TokenScope


def authenticated(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> Authenticated:
    """The caller of a request with a valid bearer token; 401 without one."""
    if credentials is None:
        raise ApiError(
            401, "an API token is needed: send 'Authorization: Bearer <token>'", CHALLENGE
        )
    try:
        token = services.tokens.authenticate(credentials.credentials)
        caller = caller_for_token(token, services.caller_for_user)
    except TokenRefusedError as exc:
        raise ApiError(401, str(exc), CHALLENGE) from exc
    return Authenticated(caller, token.token_scope)


def needs(scope: TokenScope) -> Callable[[Authenticated], Caller]:
    """A dependency: the caller, when its token's scope includes ``scope``; 403 otherwise."""

    def caller_with_scope(found: Annotated[Authenticated, Depends(authenticated)]) -> Caller:
        if not found.scope.includes(scope):
            raise ApiError(
                403, f"this needs a token with {scope} scope (this one has {found.scope})"
            )
        return found.caller

    return caller_with_scope


Reader = Annotated[Caller, Depends(needs(TokenScope.READ))]
Writer = Annotated[Caller, Depends(needs(TokenScope.WRITE))]
Admin = Annotated[Caller, Depends(needs(TokenScope.ADMIN))]
