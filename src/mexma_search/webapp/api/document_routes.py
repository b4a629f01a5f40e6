"""``/api/documents``: upload, list, read (with passages and their export), read again in
another encoding, and delete."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from mexma_search.app.document_reads import PassageInfo
from mexma_search.app.export import passages_as_jsonl
from mexma_search.app.service_base import DEFAULT_COLLECTION
from mexma_search.app.views import DocumentInfo
from mexma_search.store import DocumentStatus
from mexma_search.webapp.api.auth import Reader, ServicesDep, Writer
from mexma_search.webapp.api.errors import ApiError, found
from mexma_search.webapp.api.files import attachment, file_responses, receive_upload

router = APIRouter(prefix="/documents", tags=["documents"])


class DocumentPage(BaseModel):
    """Documents, newest first."""

    items: list[DocumentInfo]
    offset: int
    limit: int


class Uploaded(BaseModel):
    """The ingest job of each uploaded file (follow them at ``/api/jobs/{id}``)."""

    job_ids: list[int]


class Passages(BaseModel):
    """A document's passages in reading order."""

    document_id: int
    items: list[PassageInfo]


class Deleted(BaseModel):
    deleted: int


class Reread(BaseModel):
    """How to read a plain-text document again."""

    encoding: str = Field(description="a text encoding, e.g. utf-8, cp1252, cp1250, shift_jis")


class Queued(BaseModel):
    """The job doing it (follow it at ``/api/jobs/{id}``)."""

    job_id: int


@router.get("", response_model=DocumentPage, summary="List documents")
def list_documents(
    services: ServicesDep,
    caller: Reader,
    collection: str | None = None,
    status: DocumentStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DocumentPage:
    items = services.list_documents(
        collection=collection,
        status=status.value if status else None,
        limit=limit,
        offset=offset,
        caller=caller,
    )
    return DocumentPage(items=items, offset=offset, limit=limit)


@router.post("", response_model=Uploaded, status_code=202, summary="Upload documents")
def upload_documents(
    services: ServicesDep,
    caller: Writer,
    files: Annotated[list[UploadFile], File(description="files; zips expand to their files")],
    collection: Annotated[str, Form()] = DEFAULT_COLLECTION,
) -> Uploaded:
    """Store the files and queue one ingest job per document."""
    limit = services.settings.max_upload_mb << 20
    with tempfile.TemporaryDirectory(prefix="mexma-api-") as scratch:
        paths = [
            receive_upload(upload, Path(scratch) / str(n), limit) for n, upload in enumerate(files)
        ]
        return Uploaded(job_ids=services.ingest_paths(paths, collection, caller=caller))


@router.get("/{document_id}", response_model=DocumentInfo, summary="One document")
def get_document(document_id: int, services: ServicesDep, caller: Reader) -> DocumentInfo:
    return found(services.get_document(document_id, caller=caller), f"document {document_id}")


@router.get("/{document_id}/passages", response_model=Passages, summary="A document's passages")
def get_passages(document_id: int, services: ServicesDep, caller: Reader) -> Passages:
    return Passages(document_id=document_id, items=_passages(services, document_id, caller))


@router.get(
    "/{document_id}/passages/export",
    response_class=Response,
    summary="Export a document's passages as JSON Lines",
    responses=file_responses("jsonl"),
)
def export_passages(document_id: int, services: ServicesDep, caller: Reader) -> Response:
    passages = _passages(services, document_id, caller)
    return attachment(passages_as_jsonl(passages), "jsonl", f"document-{document_id}")


def _passages(services: ServicesDep, document_id: int, caller: Reader) -> list[PassageInfo]:
    passages = services.document_passages(document_id, caller=caller)
    return found(passages, f"document {document_id}")


@router.post(
    "/{document_id}/reingest",
    response_model=Queued,
    status_code=202,
    summary="Read a document again in another encoding",
)
def reingest_document(
    document_id: int, reread: Reread, services: ServicesDep, caller: Writer
) -> Queued:
    """Queue a job that reads a plain-text document's stored file again in ``encoding``; its
    passages stay searchable until the new ones replace them, and stay if it fails. Editors
    re-read their own uploads, admins any; PDF, DOCX and TMX files name their own encoding."""
    try:
        return Queued(job_id=services.reread_document(document_id, reread.encoding, caller=caller))
    except KeyError:
        raise ApiError(404, f"no document {document_id}") from None


@router.delete("/{document_id}", response_model=Deleted, summary="Delete a document")
def delete_document(document_id: int, services: ServicesDep, caller: Writer) -> Deleted:
    """Delete a document, its passages, its vectors and its stored file."""
    if not services.delete_document(document_id, caller=caller):
        raise ApiError(404, f"no document {document_id}")
    return Deleted(deleted=document_id)
