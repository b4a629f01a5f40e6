"""``mexma-search search``: query the index in any language."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from mexma_search.app.relevance import RELEVANCE_LABELS
from mexma_search.app.settings import get_settings
from mexma_search.cli.output import emit_json, json_option
from mexma_search.cli.remote import SearchOptions, remote_app

if TYPE_CHECKING:
    from mexma_search.app.search import SearchMode


@click.command("search")
@click.argument("query")
@click.option(
    "-k", "k", type=click.IntRange(1, 100), default=10, show_default=True, help="Results."
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
    lang: tuple[str, ...],
    collection: tuple[str, ...],
    mode: SearchMode | None,
    by_passage: bool,
    as_json: bool,
) -> None:
    """Find the documents closest in meaning to QUERY, whatever their language.

    While `mexma-search serve` runs on the same data directory, the running app answers (or
    the app at MEXMA_API_URL, when set).
    """
    request = SearchOptions(query, k, list(lang), list(collection), mode, not by_passage)
    with remote_app(get_settings()) as app:
        if app is not None:
            results = app.get("/search", request.params())["results"]
        else:
            results = _search_here(request)
    if as_json:
        emit_json(results)
        return
    if not results:
        click.echo("No results.")
    for rank, result in enumerate(results, start=1):
        label = RELEVANCE_LABELS.get(result.get("relevance", ""), "")
        click.echo(
            f"{rank:2}. {result['score']:.3f} {label} {result.get('document_title', '')} "
            f"[{result['lang']}] {result['document']} "
            f"(passage {result['chunk']}, {result['collection']})"
        )
        click.echo(f"    {result['sentence']}")
        for more in result.get("passages", []):
            click.echo(f"    + passage {more['chunk']} ({more['score']:.3f}): {more['sentence']}")


def _search_here(request: SearchOptions) -> list[dict[str, Any]]:
    from mexma_search.cli.backend import backend  # the backend's imports take seconds

    with backend() as services:
        try:
            found = services.search(
                request.query,
                k=request.k,
                lang=request.lang or None,
                collection=request.collection or None,
                mode=request.mode,
                group=request.group,
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    return [result.to_dict() for result in found]
