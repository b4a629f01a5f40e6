"""``mexma-search search``: query the index in any language."""

from __future__ import annotations

import click

from mexma_search.cli.backend import backend
from mexma_search.cli.output import emit_json, json_option


@click.command("search")
@click.argument("query")
@click.option("-k", "k", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--lang", multiple=True, help="Only passages in this language (repeatable).")
@click.option("--collection", multiple=True, help="Only this collection (repeatable).")
@json_option
def search_command(
    query: str, k: int, lang: tuple[str, ...], collection: tuple[str, ...], as_json: bool
) -> None:
    """Find the passages closest in meaning to QUERY, whatever their language."""
    with backend() as services:
        try:
            results = services.search(
                query, k=k, lang=list(lang) or None, collection=list(collection) or None
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    if as_json:
        emit_json([result.to_dict() for result in results])
        return
    if not results:
        click.echo("No results.")
    for rank, result in enumerate(results, start=1):
        click.echo(
            f"{rank:2}. {result.score:.3f} [{result.lang}] {result.document} "
            f"(passage {result.chunk}, {result.collection})"
        )
        click.echo(f"    {result.sentence}")
