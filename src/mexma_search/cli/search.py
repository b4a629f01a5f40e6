"""``mexma-search search``: query the index in any language."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from mexma_search.app.running_app import running_app_url
from mexma_search.app.settings import get_settings
from mexma_search.cli.backend import backend
from mexma_search.cli.output import emit_json, json_option
from mexma_search.cli.remote import remote_search

if TYPE_CHECKING:
    from mexma_search.app.search import SearchMode


@click.command("search")
@click.argument("query")
@click.option("-k", "k", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--lang", multiple=True, help="Only passages in this language (repeatable).")
@click.option("--collection", multiple=True, help="Only this collection (repeatable).")
@click.option(
    "--mode",
    type=click.Choice(["hybrid", "dense"]),
    help="hybrid: meaning and keywords; dense: meaning only (default: MEXMA_SEARCH_MODE)",
)
@json_option
def search_command(
    query: str,
    k: int,
    lang: tuple[str, ...],
    collection: tuple[str, ...],
    mode: SearchMode | None,
    as_json: bool,
) -> None:
    """Find the passages closest in meaning to QUERY, whatever their language.

    While `mexma-search serve` runs on the same data directory, the running app answers.
    """
    url = running_app_url(get_settings())
    if url is not None:
        results = remote_search(
            url, query, k=k, lang=list(lang), collection=list(collection), mode=mode
        )
    else:
        results = _search_here(query, k, list(lang), list(collection), mode)
    if as_json:
        emit_json(results)
        return
    if not results:
        click.echo("No results.")
    for rank, result in enumerate(results, start=1):
        click.echo(
            f"{rank:2}. {result['score']:.3f} [{result['lang']}] {result['document']} "
            f"(passage {result['chunk']}, {result['collection']})"
        )
        click.echo(f"    {result['sentence']}")


def _search_here(
    query: str, k: int, lang: list[str], collection: list[str], mode: SearchMode | None
) -> list[dict[str, Any]]:
    with backend() as services:
        try:
            found = services.search(
                query, k=k, lang=lang or None, collection=collection or None, mode=mode
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    return [result.to_dict() for result in found]
