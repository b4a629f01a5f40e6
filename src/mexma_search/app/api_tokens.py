"""Bearer tokens of the HTTP API: created and revoked by an admin, checked on every request.

A token is ``mxs_`` and 43 random URL-safe characters, shown once when it is created; only its
SHA-256 is stored (the token is random, so a slow hash would add nothing). Scopes nest: ``read``
(search, list and read documents, jobs, collections and model versions), ``write`` (also upload,
delete documents and cancel jobs) and ``admin`` (also promote model versions).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mexma_search.app.access import OPERATOR_NAME, Caller, Role
from mexma_search.app.settings import Settings
from mexma_search.app.views import Record
from mexma_search.store import make_engine, migrate, read_scope, session_scope
from mexma_search.store.api_tokens import (
    NewApiToken,
    add_api_token,
    api_token_by_hash,
    delete_api_token,
    list_api_tokens,
    revoke_api_token,
    touch_api_token,
)
from mexma_search.store.tables import ApiToken
from mexma_search.store.types import utcnow
from mexma_search.store.users import get_user

TOKEN_PREFIX = "mxs_"
SHOWN_PREFIX = 12
MAX_NAME = 200
# last_used_at is written at most this often per token, so reads do not all write
TOUCH_EVERY = timedelta(minutes=1)


class TokenScope(StrEnum):
    """What a token may do; each scope includes the ones before it."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    def includes(self, needed: TokenScope) -> bool:
        """True when this scope allows what ``needed`` allows."""
        order = list(TokenScope)
        return order.index(self) >= order.index(needed)


ROLE_OF_SCOPE = {
    TokenScope.READ: Role.READER,
    TokenScope.WRITE: Role.EDITOR,
    TokenScope.ADMIN: Role.ADMIN,
}


class TokenRefusedError(Exception):
    """The token is unknown, revoked or expired (the message says which)."""


@dataclass(frozen=True)
class ApiTokenInfo(Record):
    """A token as listed (never the token itself)."""

    id: int
    name: str
    user_name: str
    scope: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def token_scope(self) -> TokenScope:
        return TokenScope(self.scope)

    def state(self, now: datetime | None = None) -> str:
        """'active', 'revoked' or 'expired'."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= (now or utcnow()):
            return "expired"
        return "active"

    @classmethod
    def from_row(cls, row: ApiToken) -> ApiTokenInfo:
        return cls(
            id=row.id,
            name=row.name,
            user_name=row.user_name,
            scope=row.scope,
            prefix=row.prefix,
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
        )


@dataclass(frozen=True)
class CreatedToken:
    """A new token: ``secret`` is the bearer token, shown this once."""

    info: ApiTokenInfo
    secret: str


def caller_for_token(token: ApiTokenInfo, callers: Callable[[str], Caller | None]) -> Caller:
    """Whom a request with ``token`` acts as: its user as ``callers`` finds them now (their
    collections), with no more than the role of the token's scope; the operator's tokens (the
    command line on the server) read every collection. TokenRefusedError when the user has
    no account any more."""
    role = ROLE_OF_SCOPE[token.token_scope]
    if token.user_name == OPERATOR_NAME:
        return Caller(name=OPERATOR_NAME, role=role)
    user = callers(token.user_name)
    if user is None:
        raise TokenRefusedError(f"this API token's user {token.user_name!r} has no account")
    return user.at_most(role)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokens:
    """Creating, listing, revoking and checking tokens in the metadata database."""

    def __init__(self, engine: Callable[[], Engine]) -> None:
        self._engine = engine

    def _check_user(self, session: Session, user_name: str) -> None:
        if user_name != OPERATOR_NAME and get_user(session, user_name) is None:
            raise ValueError(
                f"there is no user {user_name!r}: add the user first (mexma-search users add)"
            )

    def create(
        self,
        name: str,
        user_name: str,
        scope: TokenScope | str,
        *,
        expires_in_days: float | None = None,
    ) -> CreatedToken:
        """A new token for ``user_name``; it never expires without ``expires_in_days``.
        ValueError for an empty or too long name or user, an unknown scope or a bad expiry."""
        name, user_name = name.strip(), user_name.strip()
        for label, value in (("token name", name), ("user name", user_name)):
            if not value or len(value) > MAX_NAME:
                raise ValueError(f"a {label} has 1 to {MAX_NAME} characters")
        if scope not in TokenScope.__members__.values():
            choices = ", ".join(TokenScope)
            raise ValueError(f"unknown token scope {scope!r}; choose one of {choices}")
        if expires_in_days is not None and not 0 < expires_in_days <= 36500:
            raise ValueError("a token expires after more than 0 and at most 36500 days")
        expires_at = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        new = NewApiToken(
            name, user_name, str(scope), _hash(secret), secret[:SHOWN_PREFIX], expires_at
        )
        with session_scope(self._engine()) as session:
            self._check_user(session, user_name)
            info = ApiTokenInfo.from_row(add_api_token(session, new))
        return CreatedToken(info, secret)

    def list_tokens(self) -> list[ApiTokenInfo]:
        """All tokens, newest first (revoked and expired ones too)."""
        with read_scope(self._engine()) as session:
            return [ApiTokenInfo.from_row(row) for row in list_api_tokens(session)]

    def revoke(self, token_id: int) -> bool:
        """Revoke a token at once; False if there is no such active token."""
        with session_scope(self._engine()) as session:
            return revoke_api_token(session, token_id)

    def delete(self, token_id: int) -> bool:
        """Forget a token entirely; False if there is none."""
        with session_scope(self._engine()) as session:
            return delete_api_token(session, token_id)

    def authenticate(self, secret: str) -> ApiTokenInfo:
        """The token ``secret`` names, if it is valid now; TokenRefusedError otherwise.

        Every API request comes here: it only reads, so that requests never queue for the
        database's write lock (which ingest holds often), except to record a use once every
        ``TOUCH_EVERY``.
        """
        now = utcnow()
        with read_scope(self._engine()) as session:
            row = api_token_by_hash(session, _hash(secret.strip()))
            token = ApiTokenInfo.from_row(row) if row is not None else None
        if token is None:
            raise TokenRefusedError("unknown API token")
        state = token.state(now)
        if state != "active":
            raise TokenRefusedError(f"this API token is {state}")
        if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
            with session_scope(self._engine()) as session:
                touch_api_token(session, token.id, now)
        return token


@contextmanager
def database_tokens(settings: Settings) -> Iterator[ApiTokens]:
    """The tokens of ``settings``' database, without the rest of the backend (for commands
    that run beside a running app)."""
    assert settings.database_url is not None
    settings.ensure_dirs()
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        yield ApiTokens(lambda: engine)
    finally:
        engine.dispose()
