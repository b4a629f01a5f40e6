"""``mexma-search ingest``: store documents and index them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from mexma_search.app.access import OPERATOR
from mexma_search.app.service_base import DEFAULT_COLLECTION
from mexma_search.app.views import JobInfo
from mexma_search.cli.backend import backend, runs_jobs_elsewhere
from mexma_search.cli.output import emit_json, json_option


def summarize(jobs: Sequence[JobInfo]) -> dict[str, Any]:
    """What a set of finished ingest jobs did: documents, passages, languages, problems."""
    succeeded = [job for job in jobs if job.status == "succeeded"]
    indexed = [job for job in succeeded if "chunks" in job.metrics]
    languages = sorted({lang for job in indexed for lang in job.metrics.get("languages", [])})
    return {
        "documents": len(indexed),
        "chunks": sum(job.metrics["chunks"] for job in indexed),
        "languages": languages,
        "duplicates": [
            {"file": job.parameters.get("filename"), "message": job.message}
            for job in succeeded
            if "duplicate_of" in job.metrics
        ],
        "failures": [
            {"file": job.parameters.get("filename"), "status": job.status, "reason": job.error}
            for job in jobs
            if job.status != "succeeded"
        ],
    }


def _print_summary(summary: dict[str, Any]) -> None:
    click.echo(
        f"Indexed {summary['documents']} document(s), {summary['chunks']} passage(s); "
        f"languages: {', '.join(summary['languages']) or 'none'}"
    )
    for duplicate in summary["duplicates"]:
        click.echo(f"  duplicate  {duplicate['file']}: {duplicate['message']}")
    for failure in summary["failures"]:
        click.echo(f"  {failure['status']:9}  {failure['reason'] or failure['file']}")


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--collection", default=DEFAULT_COLLECTION, show_default=True)
@click.option("--wait", is_flag=True, help="Index now and report the outcome of each file.")
@click.option("--timeout", type=click.FloatRange(min=0), default=None, help="Seconds to wait.")
@json_option
def ingest_command(
    paths: tuple[Path, ...], collection: str, wait: bool, timeout: float | None, as_json: bool
) -> None:
    """Add files, directories or zip archives (one document per file) to a collection.

    Without a Redis broker (embedded mode), --wait indexes in this process; otherwise the
    files are queued for the running app, or for the next `mexma-search serve`.
    """
    with backend(run_worker=wait) as services:
        try:
            job_ids = services.ingest_paths(paths, collection, caller=OPERATOR)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        if not wait:
            if as_json:
                emit_json({"jobs": job_ids})
                return
            where = "the workers" if runs_jobs_elsewhere() else "`mexma-search serve`"
            click.echo(f"Queued {len(job_ids)} file(s) as jobs {job_ids}; {where} will index them.")
            return
        with tqdm(total=len(job_ids), unit="file", disable=as_json) as bar:

            def show(jobs: Sequence[JobInfo]) -> None:
                bar.update(sum(job.finished for job in jobs) - bar.n)
                running = next((job for job in jobs if job.status == "running"), None)
                if running is not None:
                    bar.set_postfix_str(f"{running.parameters.get('filename')}: {running.stage}")

            jobs = services.wait_for_jobs(job_ids, timeout, progress=show)
    summary = summarize(jobs)
    if as_json:
        emit_json(summary)
    else:
        _print_summary(summary)
    if summary["failures"]:
        raise SystemExit(1)
