"""``mexma-search search``: query the index in any language."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from mexma_search.app.relevance import RELEVANCE_LABELS
from mexma_search.app.settings import get_settings
from mexma_search.app.views import MAX_K
from mexma_search.cli.output import emit_json, fail, json_option
from mexma_search.cli.remote import SearchOptions, remote_app
from mexma_search.cli.tm_memories import (
    check_concordance_options,
    concordance_here,
    concordance_params,
    print_concordance,
)

if TYPE_CHECKING:
    from mexma_search.app.search import SearchMode


@click.command("search")
@click.argument("query")
@click.option(
    "-k",
    "--limit",
    "k",
    type=click.IntRange(1, MAX_K),
    default=10,
    show_default=True,
    help="Results a page.",
)
@click.option(
    "--page", type=click.IntRange(1), default=1, show_default=True, help="Which page of results."
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
@click.option(
    "--tm",
    "in_tm",
    is_flag=True,
    help="Search the translation memories instead (concordance): segments in either language "
    "with their translation.",
)
@click.option("--tm-name", default=None, help="With --tm: only this translation memory.")
@click.option("--pair", default=None, help="With --tm: only this language pair, e.g. en-es.")
@json_option
def search_command(
    query: str,
    k: int,
    page: int,
    lang: tuple[str, ...],
    collection: tuple[str, ...],
    mode: SearchMode | None,
    by_passage: bool,
    in_tm: bool,
    tm_name: str | None,
    pair: str | None,
    as_json: bool,
) -> None:
    """Find the documents closest in meaning to QUERY, whatever their language; with --tm,
    the translation memory segments (how was this translated before?).

    --page N shows results (N-1)*limit+1 to N*limit of the ranking (at most the first
    100). While `mexma-search serve` runs on the same data directory, the running app answers
    (or the app at MEXMA_API_URL, when set).
    """
    if in_tm:
        check_concordance_options(lang=lang, collection=collection, mode=mode, passages=by_passage)
        if page != 1:
            fail("--page applies to a document search, not to --tm")
        _concordance(query, k, tm_name, pair, as_json)
        return
    if tm_name or pair:
        fail("--tm-name and --pair apply to a translation memory search: add --tm")
    offset = (page - 1) * k
    if offset + k > MAX_K:
        raise click.BadParameter(
            f"page {page} of {k} results ends past result {MAX_K}, the last one a search "
            f"returns (at most page {MAX_K // k} for --limit {k})",
            param_hint="'--page'",
        )
    request = SearchOptions(query, k, list(lang), list(collection), mode, not by_passage, offset)
    with remote_app(get_settings()) as app:
        if app is not None:
            found = app.get("/search", request.params())
            results, more = found["results"], found["next_offset"] is not None
        else:
            results, more = _search_here(request)
    if as_json:
        emit_json(results)
        return
    _print_results(results, first=offset + 1)
    if more:
        click.echo(f"More: --page {page + 1}")


def _print_results(results: list[dict[str, Any]], *, first: int) -> None:
    if not results:
        click.echo("No results.")
    for rank, result in enumerate(results, start=first):
        label = RELEVANCE_LABELS.get(result.get("relevance", ""), "")
        click.echo(
            f"{rank:2}. {result['score']:.3f} {label} {result.get('document_title', '')} "
            f"[{result['lang']}] {result['document']} "
            f"(passage {result['chunk']}, {result['collection']})"
        )
        click.echo(f"    {result['sentence']}")
        for more in result.get("passages", []):
            click.echo(f"    + passage {more['chunk']} ({more['score']:.3f}): {more['sentence']}")


def _concordance(query: str, k: int, tm: str | None, pair: str | None, as_json: bool) -> None:
    with remote_app(get_settings()) as app:
        if app is not None:
            hits = app.get("/tm/search", concordance_params(query, k, tm, pair))["results"]
        else:
            hits = concordance_here(query, k, tm, pair)
    if as_json:
        emit_json(hits)
    else:
        print_concordance(hits)


def _search_here(request: SearchOptions) -> tuple[list[dict[str, Any]], bool]:
    """The page ``request`` asks for, and whether more results follow it."""
    from mexma_search.cli.backend import backend  # the backend's imports take seconds

    with backend() as services:
        try:
            found = services.search(
                request.query,
                # one more than the page, to tell whether a next page exists
                k=min(request.offset + request.k + 1, MAX_K),
                lang=request.lang or None,
                collection=request.collection or None,
                mode=request.mode,
                group=request.group,
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    end = request.offset + request.k
    return [result.to_dict() for result in found[request.offset : end]], len(found) > end
