"""``mexma-search documents ...``: list, read again in another encoding, and delete indexed
documents."""

from __future__ import annotations

import click

from mexma_search.app.settings import get_settings
from mexma_search.cli.backend import backend, runs_jobs_elsewhere
from mexma_search.cli.output import emit_json, fail, json_option
from mexma_search.cli.remote import remote_app
from mexma_search.store import DocumentStatus


@click.group("documents")
def documents_group() -> None:
    """Uploaded documents."""


@documents_group.command("list")
@click.option("--collection", default=None)
@click.option("--status", type=click.Choice([s.value for s in DocumentStatus]))
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@json_option
def list_command(collection: str | None, status: str | None, limit: int, as_json: bool) -> None:
    """List documents, newest first (asking the running app, as `search` does)."""
    with remote_app(get_settings()) as app:
        if app is not None:
            params = [("limit", str(limit))] + [
                (name, value)
                for name, value in (("collection", collection), ("status", status))
                if value
            ]
            documents = app.get("/documents", params)["items"]
        else:
            with backend() as services:
                found = services.list_documents(collection=collection, status=status, limit=limit)
            documents = [document.to_dict() for document in found]
    if as_json:
        emit_json(documents)
        return
    for d in documents:
        languages = ",".join(d["languages"])
        click.echo(
            f"{d['id']:6} {d['status']:10} {d['n_chunks']:5} {languages:12} "
            f"{d.get('encoding') or '-':10} {d['collection']}/{d['filename']}"
            + (f"  {d['error']}" if d["error"] else "")
        )


@documents_group.command("reingest")
@click.argument("document_id", type=int)
@click.option(
    "--encoding", required=True, help="The text encoding to read the file in, e.g. cp1252."
)
@click.option("--wait", is_flag=True, help="Read it now and report the outcome.")
@click.option("--timeout", type=click.FloatRange(min=0), default=None, help="Seconds to wait.")
@json_option
def reingest_command(
    document_id: int, encoding: str, wait: bool, timeout: float | None, as_json: bool
) -> None:
    """Read a plain-text document's stored file again in ENCODING and replace its passages
    (the old ones stay searchable until then, and if it fails).

    Without a Redis broker (embedded mode), --wait does it in this process; otherwise the job
    is queued for the running app, or for the next `mexma-search serve`.
    """
    with backend(run_worker=wait) as services:
        try:
            job_id = services.reread_document(document_id, encoding)
        except KeyError:
            fail(f"no document {document_id}")
        except ValueError as exc:
            fail(str(exc))
        if not wait:
            if as_json:
                emit_json({"job": job_id})
                return
            where = "the workers" if runs_jobs_elsewhere() else "`mexma-search serve`"
            click.echo(f"Queued job {job_id}; {where} will read document {document_id} again.")
            return
        job = services.wait_for_job(job_id, timeout)
    if as_json:
        emit_json(job.to_dict())
    else:
        click.echo(f"Job {job.id} {job.status}: {job.error or job.message}")
    if job.status != "succeeded":
        raise SystemExit(1)


@documents_group.command("delete")
@click.argument("document_id", type=int)
@json_option
def delete_command(document_id: int, as_json: bool) -> None:
    """Delete a document, its passages and its vectors."""
    with backend() as services:
        deleted = services.delete_document(document_id)
    if not deleted:
        fail(f"no document {document_id}")
    if as_json:
        emit_json({"deleted": document_id})
    else:
        click.echo(f"Deleted document {document_id}.")
