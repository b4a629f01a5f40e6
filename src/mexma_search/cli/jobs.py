"""``mexma-search jobs ...``: follow and cancel background jobs."""

from __future__ import annotations

from typing import Any

import click

from mexma_search.app.settings import get_settings
from mexma_search.cli.backend import backend
from mexma_search.cli.output import emit_json, fail, json_option
from mexma_search.cli.remote import remote_app
from mexma_search.store import JobKind, JobStatus


def describe(job: dict[str, Any]) -> str:
    """One line about a job (as ``JobInfo.to_dict`` gives it): id, kind, status, progress and
    what it says."""
    progress = f"{job['done']}/{job['total']}" if job["total"] is not None else ""
    parameters = job["parameters"]
    name = parameters.get("filename") or parameters.get("model_version") or ""
    note = job["error"] or job["message"] or ""
    stage = job["stage"] or ""
    return (
        f"{job['id']:6} {job['kind']:8} {job['status']:10} {stage:12} {progress:9} {name}  {note}"
    )


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs (ingest, reindex)."""


@jobs_group.command("list")
@click.option("--kind", type=click.Choice([k.value for k in JobKind]))
@click.option("--status", type=click.Choice([s.value for s in JobStatus]))
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@json_option
def list_command(kind: str | None, status: str | None, limit: int, as_json: bool) -> None:
    """List jobs, newest first (asking the running app, as `search` does)."""
    with remote_app(get_settings()) as app:
        if app is not None:
            filters = (("kind", kind), ("status", status))
            params = [("limit", str(limit))] + [(n, v) for n, v in filters if v]
            jobs = app.get("/jobs", params)["items"]
        else:
            with backend() as services:
                found = services.list_jobs(kind=kind, status=status, limit=limit)
            jobs = [job.to_dict() for job in found]
    if as_json:
        emit_json(jobs)
        return
    for job in jobs:
        click.echo(describe(job))


@jobs_group.command("show")
@click.argument("job_id", type=int)
@json_option
def show_command(job_id: int, as_json: bool) -> None:
    """Show one job in full (asking the running app, as `search` does)."""
    with remote_app(get_settings()) as app:
        job = app.get(f"/jobs/{job_id}") if app is not None else _job_here(job_id)
    if as_json:
        emit_json(job)
        return
    for key, value in job.items():
        click.echo(f"{key:16} {value}")


def _job_here(job_id: int) -> dict[str, Any]:
    with backend() as services:
        job = services.get_job(job_id)
    if job is None:
        raise click.ClickException(f"no job {job_id}")
    return job.to_dict()


@jobs_group.command("cancel")
@click.argument("job_id", type=int)
def cancel_command(job_id: int) -> None:
    """Ask a job to stop (a running one stops after its current batch)."""
    with backend() as services:
        if not services.cancel_job(job_id):
            fail(f"job {job_id} does not exist or has already ended")
    click.echo(f"Cancellation of job {job_id} requested.")
