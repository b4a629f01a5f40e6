"""``mexma-search doctor``: check that the index holds what the database says, and repair."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from mexma_search.cli.backend import backend, runs_jobs_elsewhere
from mexma_search.cli.output import emit_json, json_option

if TYPE_CHECKING:
    from mexma_search.app.doctor import DoctorReport

REPAIR_TIMEOUT_S = 24 * 3600


@click.command("doctor")
@click.option("--repair", is_flag=True, help="Repair what is found (re-ingests drifted documents).")
@json_option
def doctor_command(repair: bool, as_json: bool) -> None:
    """Compare the database with the vector index: points per document, missing and extra
    points, documents stuck in processing, jobs whose worker went silent. Exits with status 1
    when something is wrong and was not repaired.

    With --repair in embedded mode, this process runs the repair jobs and waits for them.
    """
    wait = repair and not runs_jobs_elsewhere()
    with backend(run_worker=wait) as services:
        report = services.doctor(repair=repair)
        if wait and report.queued_jobs:
            services.wait_for_jobs(report.queued_jobs, REPAIR_TIMEOUT_S)
    if as_json:
        emit_json({**report.to_dict(), "healthy": report.healthy})
    else:
        _describe(report)
    if not report.healthy and not repair:
        raise SystemExit(1)


def _describe(report: DoctorReport) -> None:
    click.echo(
        f"Live collection: {report.collection or 'none'}; {report.documents} indexed documents, "
        f"{report.chunks} passages, {report.points} points."
    )
    for drift in report.drifted:
        click.echo(
            f"  document {drift.document_id} ({drift.filename}): {drift.chunks} passages, "
            f"{drift.points} points ({drift.missing} missing, {drift.extra} extra)"
        )
    findings = {
        "points of deleted documents": report.orphan_documents,
        "points of failed or duplicate documents": report.unindexed_with_points,
        "documents stuck in processing": report.stuck_documents,
        "jobs whose worker went silent": report.stale_jobs,
    }
    for what, ids in findings.items():
        if ids:
            click.echo(f"  {what}: {', '.join(map(str, ids))}")
    if report.keywordless_points:
        click.echo(
            f"  points without a keyword vector (hybrid search misses them): "
            f"{report.keywordless_points}"
        )
    for line in report.repairs:
        click.echo(f"Repaired: {line}")
    click.echo(
        "Healthy."
        if report.healthy
        else "Drift found." + ("" if report.repairs else " Run `mexma-search doctor --repair`.")
    )
