"""``mexma-search tm ...``: fill, list, rename and delete translation memories; ``search
--tm`` prints concordance results with :func:`print_concordance`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mexma_search.app.settings import get_settings
from mexma_search.cli.output import emit_json, fail, json_option
from mexma_search.cli.remote import Params, remote_app

if TYPE_CHECKING:  # the backend's imports take seconds
    from mexma_search.app.services import Services
    from mexma_search.app.tm_manage import TmChanged


@click.group("tm")
def tm_group() -> None:
    """Translation memories: searched with `mexma-search search --tm QUERY`."""


@tm_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="The translation memory to add to (created if new).")
@click.option("--collection", required=True, help="Its collection (whose readers may search it).")
@click.option("--src-lang", default=None, help="Source language (default: the file's).")
@click.option("--trg-lang", default=None, help="Target language (default: the file's).")
@json_option
def import_command(
    file: Path,
    name: str,
    collection: str,
    src_lang: str | None,
    trg_lang: str | None,
    as_json: bool,
) -> None:
    """Add the pairs of FILE (.tmx, .tsv, .csv or .jsonl) to translation memory NAME."""
    from mexma_search.cli.backend import backend  # the backend's imports take seconds
    from mexma_search.encoder.bitext import BitextError

    with backend() as services:
        try:
            added = services.import_tm_file(
                None, file, name, collection, src_lang=src_lang, trg_lang=trg_lang
            )
        except (BitextError, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc
    if as_json:
        emit_json(added.__dict__)
        return
    click.echo(
        f"{added.added} pairs added to {added.collection}/{added.name}"
        + (f" ({added.skipped} skipped: already in it, or a side empty)" if added.skipped else "")
    )


@tm_group.command("list")
@json_option
def list_command(as_json: bool) -> None:
    """List the translation memories (asking the running app, as `search` does)."""
    with remote_app(get_settings()) as app:
        if app is not None:
            memories = app.get("/tm")
        else:
            from mexma_search.cli.backend import backend

            with backend() as services:
                memories = [memory.__dict__ for memory in services.list_tms()]
    if as_json:
        emit_json(memories)
        return
    if not memories:
        click.echo("No translation memories.")
    for m in memories:
        pairs = ", ".join(m["pairs"]) or "empty"
        click.echo(f"{m['segments']:8} {pairs:16} {m['collection']}/{m['name']}")


collection_option = click.option(
    "--collection", default=None, help="Its collection (needed when several have that name)."
)


@tm_group.command("rename")
@click.argument("name")
@click.argument("new_name")
@collection_option
@json_option
def rename_command(name: str, new_name: str, collection: str | None, as_json: bool) -> None:
    """Rename translation memory NAME to NEW_NAME (its pairs stay searchable)."""
    changed = _change(
        lambda services: services.rename_tm(None, name, new_name, collection=collection)
    )
    if as_json:
        emit_json(changed.__dict__)
        return
    click.echo(f"Renamed {changed.collection}/{changed.name} to {changed.new_name}.")


@tm_group.command("delete")
@click.argument("name")
@collection_option
@json_option
def delete_command(name: str, collection: str | None, as_json: bool) -> None:
    """Delete translation memory NAME: its pairs and their vectors."""
    changed = _change(lambda services: services.delete_tm(None, name, collection=collection))
    if as_json:
        emit_json(changed.__dict__)
        return
    click.echo(f"Deleted {changed.collection}/{changed.name} ({changed.segments} pairs).")


def _change(change: Callable[[Services], TmChanged]) -> TmChanged:
    """``change(services)`` on the backend in this process; its refusal as a CLI error."""
    from mexma_search.cli.backend import backend

    with backend() as services:
        try:
            return change(services)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc


def concordance_params(query: str, limit: int, tm: str | None, pair: str | None) -> Params:
    """The query parameters of ``GET /api/tm/search``."""
    return (
        [("q", query), ("limit", str(limit))]
        + ([("tm", tm)] if tm else [])
        + ([("pair", pair)] if pair else [])
    )


def concordance_here(
    query: str, limit: int, tm: str | None, pair: str | None
) -> list[dict[str, Any]]:
    """Concordance results from the backend in this process, as the API answers them."""
    from mexma_search.cli.backend import backend

    with backend() as services:
        try:
            found = services.concordance(None, query, language_pair=pair, tm=tm, limit=limit)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    return [hit.to_dict() for hit in found]


def print_concordance(hits: list[dict[str, Any]]) -> None:
    """Concordance results for people: both sides, the query's words in bold, the words
    likely to translate them underlined."""
    if not hits:
        click.echo("No matching segments.")
    for rank, hit in enumerate(hits, start=1):
        click.echo(
            f"{rank:2}. {hit['score']:.3f} {hit['collection']}/{hit['tm']} "
            f"({hit['src_lang']}-{hit['trg_lang']}, matched {hit[hit['matched_side'] + '_lang']})"
        )
        for side in ("src", "trg"):
            marked = _marked(hit[f"{side}_text"], hit[f"{side}_spans"], hit[f"{side}_aligned"])
            click.echo(f"    {hit[f'{side}_lang']}: {marked}")


def _marked(text: str, found: list[list[int]], aligned: list[list[int]]) -> str:
    styled = sorted(
        [(s, e, {"bold": True}) for s, e in found]
        + [(s, e, {"underline": True}) for s, e in aligned]
    )
    pieces, at = [], 0
    for start, end, style in styled:
        if start >= at:
            pieces += [text[at:start], click.style(text[start:end], **style)]
            at = end
    return "".join([*pieces, text[at:]])


def check_concordance_options(**unused: object) -> None:
    """Refuse document search options given with ``--tm``."""
    given = [f"--{name.replace('_', '-')}" for name, value in unused.items() if value]
    if given:
        fail(f"{', '.join(given)} do not apply to a translation memory search (--tm)")
