"""Asking a running app over its HTTP API (``/api``) with a bearer token.

The CLI's read commands ask the app at ``MEXMA_API_URL`` (with ``MEXMA_API_TOKEN``) when it is
set; otherwise the app that ``serve`` runs on this data directory, whose index no other process
can open. For that local app, without ``MEXMA_API_TOKEN``, the command makes a read token in
the shared database for its own use and deletes it when it ends.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from mexma_search.app.access import OPERATOR_NAME
from mexma_search.app.running_app import API_PREFIX, running_app_url
from mexma_search.app.settings import Settings

if TYPE_CHECKING:
    from mexma_search.app.search import SearchMode

TIMEOUT_S = 60
# a token made for one command expires soon even if the command is killed before deleting it
COMMAND_TOKEN_DAYS = 1 / 24
Params = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class SearchOptions:
    """A search as the command line asks it."""

    query: str
    k: int
    lang: list[str]
    collection: list[str]
    mode: SearchMode | None
    group: bool
    offset: int = 0

    def params(self) -> Params:
        return (
            [("q", self.query), ("k", str(self.k)), ("offset", str(self.offset))]
            + [("group", "true" if self.group else "false")]
            + ([("mode", self.mode)] if self.mode else [])
            + [("lang", v) for v in self.lang]
            + [("collection", v) for v in self.collection]
        )


@dataclass(frozen=True)
class RemoteApp:
    """A running app's API, asked with ``token``."""

    url: str
    token: str

    def get(self, path: str, params: Params = ()) -> Any:
        """The JSON answer of ``GET /api{path}``; a ClickException with the API's message."""
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        address = f"{self.url.rstrip('/')}{API_PREFIX}{path}{query}"
        request = urllib.request.Request(address, headers={"Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise click.ClickException(_error_of(exc)) from exc
        except (urllib.error.URLError, TimeoutError) as exc:
            raise click.ClickException(
                f"the app at {self.url} did not answer ({exc}); is `mexma-search serve` still up?"
            ) from exc
        except ValueError as exc:
            raise click.ClickException(f"the app at {self.url} sent an unexpected answer") from exc


@contextmanager
def remote_app(settings: Settings) -> Iterator[RemoteApp | None]:
    """The app the read commands ask, or None when they should read here (no app runs)."""
    token = settings.api_token.get_secret_value() if settings.api_token else None
    if settings.api_url is not None:
        if token is None:
            raise click.ClickException("MEXMA_API_URL is set: set MEXMA_API_TOKEN too")
        yield RemoteApp(settings.api_url, token)
        return
    url = running_app_url(settings)
    if url is None:
        yield None
    elif token is not None:
        yield RemoteApp(url, token)
    else:
        with _command_token(settings) as made:
            yield RemoteApp(url, made)


@contextmanager
def _command_token(settings: Settings) -> Iterator[str]:
    """A read token for this command in the database the running app shares."""
    from mexma_search.app.api_tokens import database_tokens

    with database_tokens(settings) as tokens:
        created = tokens.create(
            "command line", OPERATOR_NAME, "read", expires_in_days=COMMAND_TOKEN_DAYS
        )
        try:
            yield created.secret
        finally:
            tokens.delete(created.info.id)


def _error_of(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(error.read())["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return f"the app answered {error.code} {error.reason}"
