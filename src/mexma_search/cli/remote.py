"""Asking a running app (``serve``) over its local HTTP routes."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from mexma_search.app.running_app import OPERATOR_HEADER, SEARCH_PATH

if TYPE_CHECKING:
    from mexma_search.app.search import SearchMode

TIMEOUT_S = 60


@dataclass(frozen=True)
class SearchOptions:
    """A search as the command line asks it."""

    query: str
    k: int
    lang: list[str]
    collection: list[str]
    mode: SearchMode | None
    group: bool


def remote_search(
    url: str, request: SearchOptions, token: str | None = None
) -> list[dict[str, Any]]:
    """The running app's results for ``request``, as ``search --json`` prints them; with the
    app's operator ``token``, over every collection."""
    params = urllib.parse.urlencode(
        [("q", request.query), ("k", str(request.k)), ("group", "1" if request.group else "0")]
        + ([("mode", request.mode)] if request.mode else [])
        + [("lang", v) for v in request.lang]
        + [("collection", v) for v in request.collection]
    )
    address = f"{url.rstrip('/')}{SEARCH_PATH}?{params}"
    headers = {OPERATOR_HEADER: token} if token else {}
    try:
        with urllib.request.urlopen(
            urllib.request.Request(address, headers=headers), timeout=TIMEOUT_S
        ) as response:
            found = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise click.ClickException(_error_of(exc)) from exc
    except (urllib.error.URLError, TimeoutError) as exc:
        raise click.ClickException(
            f"the running app at {url} did not answer ({exc}); is `mexma-search serve` still up?"
        ) from exc
    if not isinstance(found, list):
        raise click.ClickException(f"the running app at {url} sent an unexpected answer")
    return found


def _error_of(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(error.read())["error"])
    except (ValueError, KeyError, TypeError):
        return f"the running app answered {error.code} {error.reason}"
