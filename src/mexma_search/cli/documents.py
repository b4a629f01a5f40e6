"""``mexma-search documents ...``: list and delete indexed documents."""

from __future__ import annotations

import click

from mexma_search.app.settings import get_settings
from mexma_search.cli.backend import backend
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
            f"{d['collection']}/{d['filename']}" + (f"  {d['error']}" if d["error"] else "")
        )


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
