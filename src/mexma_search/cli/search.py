"""``mexma-search search``: query the index in any language."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from mexma_search.app.relevance import RELEVANCE_LABELS
from mexma_search.app.running_app import running_app_url
from mexma_search.app.settings import get_settings
from mexma_search.cli.output import emit_json, json_option
from mexma_search.cli.remote import SearchOptions, remote_search

if TYPE_CHECKING:
    from mexma_search.app.search import SearchMode


@click.command("search")
@click.argument("query")
@click.option(
    "-k",
    "k",
    type=click.IntRange(1),
    default=10,
    show_default=True,
    help="Results a page.",
)
@click.option(
    "--page", type=click.IntRange(1), default=1, show_default=True, help="Which page of results."
)
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="Also show the results under the relevance floor (hidden by default).",
)
@click.option("--lang", multiple=True, help="Only passages in this language (repeatable).")
@click.option("--collection", multiple=True, help="Only this collection (repeatable).")
@click.option(
    "--mode",
    type=click.Choice(["hybrid", "dense"]),
    help="hybrid: meaning and keywords; dense: meaning only (default: MEXMA_SEARCH_MODE)",
)
@click.option(
    "--passages",
    "by_passage",
    is_flag=True,
    help="One result per passage (default: one per document, with its next best passages).",
)
@json_option
def search_command(
    query: str,
    k: int,
    page: int,
    show_all: bool,
    lang: tuple[str, ...],
    collection: tuple[str, ...],
    mode: SearchMode | None,
    by_passage: bool,
    as_json: bool,
) -> None:
    """Find the documents closest in meaning to QUERY, whatever their language.

    Each result has a relevance label (strong, good, weak match); those under the floor
    (poor matches) are left out unless --all. With --json, the page: its results (each with
    its document_title and relevance), page, page_size, has_next and hidden (left out).
    While `mexma-search serve` runs on the same data directory, the running app answers.
    """
    request = SearchOptions(
        query, k, list(lang), list(collection), mode, not by_passage, page, show_all
    )
    url = running_app_url(get_settings())
    found = remote_search(url, request) if url is not None else _search_here(request)
    if as_json:
        emit_json(found)
        return
    _print_page(found)


def _print_page(found: dict[str, Any]) -> None:
    results = found["results"]
    first = (found["page"] - 1) * found["page_size"] + 1
    if not results:
        click.echo("No good match." if found["hidden"] else "No results.")
    for rank, result in enumerate(results, start=first):
        click.echo(
            f"{rank:2}. {RELEVANCE_LABELS.get(result['relevance'], '')} ({result['score']:.3f}) "
            f"{result['document_title']} [{result['lang']}] {result['document']} "
            f"(passage {result['chunk']}, {result['collection']})"
        )
        click.echo(f"    {result['sentence']}")
        for more in result.get("passages", []):
            click.echo(f"    + passage {more['chunk']} ({more['score']:.3f}): {more['sentence']}")
    if found["hidden"]:
        click.echo(f"{found['hidden']} poor matches hidden (--all shows them).")
    if found["has_next"]:
        click.echo(f"More: --page {found['page'] + 1}")


def _search_here(request: SearchOptions) -> dict[str, Any]:
    from mexma_search.cli.backend import backend  # the backend's imports take seconds

    with backend() as services:
        try:
            found = services.search_page(
                request.query,
                page=request.page,
                page_size=request.k,
                show_all=request.show_all,
                lang=request.lang or None,
                collection=request.collection or None,
                mode=request.mode,
                group=request.group,
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    return found.to_dict()
