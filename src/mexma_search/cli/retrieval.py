"""``mexma-search evaluate-retrieval``: recall, MRR and nDCG of search on a query file."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from mexma_search.app.retrieval_eval import evaluate_modes, format_reports, read_queries
from mexma_search.app.search import SEARCH_MODES, SearchMode
from mexma_search.cli.backend import backend
from mexma_search.cli.output import emit_json, fail, json_option


@click.command("evaluate-retrieval")
@click.option(
    "--queries",
    "queries_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSONL, one query a line: {"query": ..., "document": NAME_OR_ID} or '
    '{"query": ..., "passage": "NAME_OR_ID#N"}, optional "lang" and "group".',
)
@click.option("--collection", required=True, help="The collection the queries are answered from.")
@click.option(
    "--mode",
    type=click.Choice([*SEARCH_MODES, "both"]),
    default="dense",
    show_default=True,
    help="Search mode; 'both' compares dense and hybrid.",
)
@json_option
def evaluate_retrieval_command(
    queries_file: Path, collection: str, mode: str, as_json: bool
) -> None:
    """Recall@1, recall@10, MRR@10 and nDCG@10 (percent) of search on a query file,
    for all queries and per group (or language)."""
    modes = list(SEARCH_MODES) if mode == "both" else [cast("SearchMode", mode)]
    with backend() as services:
        try:
            queries = read_queries(queries_file)
            reports = evaluate_modes(services, queries, collection, modes)
        except ValueError as exc:
            fail(str(exc))
    if as_json:
        emit_json(
            {
                "collection": collection,
                "queries": len(queries),
                "modes": [report.to_dict() for report in reports],
            }
        )
        return
    click.echo(f"{len(queries)} queries on collection {collection!r}, scores in %:")
    click.echo(format_reports(reports))
