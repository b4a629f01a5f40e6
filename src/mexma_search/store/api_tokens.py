"""API tokens: recording, finding by hash, listing, revoking and deleting.

Functions take a session and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from mexma_search.store.tables import ApiToken
from mexma_search.store.types import utcnow


@dataclass(frozen=True)
class NewApiToken:
    """A token to record (its hash, never the token)."""

    name: str
    user_name: str
    scope: str
    token_hash: str
    prefix: str
    expires_at: datetime | None


def add_api_token(session: Session, new: NewApiToken) -> ApiToken:
    """Record a token (flushed, so its id is set)."""
    token = ApiToken(
        name=new.name,
        user_name=new.user_name,
        scope=new.scope,
        token_hash=new.token_hash,
        prefix=new.prefix,
        expires_at=new.expires_at,
    )
    session.add(token)
    session.flush()
    return token


def api_token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    """The token whose hash is ``token_hash``, or None."""
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))


def touch_api_token(session: Session, token_id: int, used_at: datetime) -> None:
    """Record that the token was used at ``used_at``."""
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=used_at))


def list_api_tokens(session: Session) -> list[ApiToken]:
    """All tokens, newest first."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id.desc())))


def revoke_api_token(session: Session, token_id: int) -> bool:
    """Mark a token revoked; False if there is no such token or it was already revoked."""
    token = session.get(ApiToken, token_id)
    if token is None or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    return True


def delete_api_token(session: Session, token_id: int) -> bool:
    """Delete a token's row; False if there is none."""
    result = cast(
        "CursorResult[Any]", session.execute(delete(ApiToken).where(ApiToken.id == token_id))
    )
    return bool(result.rowcount)
