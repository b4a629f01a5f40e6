"""Asking a running app (``serve``) over its local HTTP routes."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from mexma_search.app.running_app import SEARCH_PATH

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
    page: int = 1
    show_all: bool = False


def remote_search(url: str, request: SearchOptions) -> dict[str, Any]:
    """The running app's page of results for ``request``, as ``search --json`` prints it."""
    params = urllib.parse.urlencode(
        [("q", request.query), ("k", str(request.k)), ("group", "1" if request.group else "0")]
        + [("page", str(request.page)), ("all", "1" if request.show_all else "0")]
        + ([("mode", request.mode)] if request.mode else [])
        + [("lang", v) for v in request.lang]
        + [("collection", v) for v in request.collection]
    )
    address = f"{url.rstrip('/')}{SEARCH_PATH}?{params}"
    try:
        with urllib.request.urlopen(address, timeout=TIMEOUT_S) as response:
            found = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise click.ClickException(_error_of(exc)) from exc
    except (urllib.error.URLError, TimeoutError) as exc:
        raise click.ClickException(
            f"the running app at {url} did not answer ({exc}); is `mexma-search serve` still up?"
        ) from exc
    if not isinstance(found, dict) or not isinstance(found.get("results"), list):
        raise click.ClickException(f"the running app at {url} sent an unexpected answer")
    return found


def _error_of(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(error.read())["error"])
    except (ValueError, KeyError, TypeError):
        return f"the running app answered {error.code} {error.reason}"
