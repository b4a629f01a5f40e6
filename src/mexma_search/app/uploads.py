"""Storing uploads: one file per document, under a name of our own, within the size limit,
and recording each as a document with its ingest job.

Client file names are never used on disk (they are kept, cleaned, for display only, and as
given in the job parameters when cleaning changed them); a directory or a zip archive expands
to one stored file per document inside it, and the size limit bounds all that one upload
unpacks to.
"""

from __future__ import annotations

import os
import re
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy.orm import Session

from mexma_search import store as db
from mexma_search.documents import (
    ByteBudget,
    IngestError,
    OverBudgetError,
    content_hash,
    read_zip_members,
)
from mexma_search.documents.registry import ARCHIVE_EXTENSIONS, DOCUMENT_EXTENSIONS
from mexma_search.store import Document, DocumentStatus, JobKind

MAX_NAME_LENGTH = 255
# control and format characters (zero-width spaces, bidi overrides that make "gpj.exe" read
# "exe.jpg"), line separators, and lone surrogates (undecodable bytes, which no column stores)
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
# a file-name suffix kept on a stored bitext file, for format detection (.tsv, .gz, .en)
_BITEXT_SUFFIX = re.compile(r"^\.[a-z0-9]{1,10}$")


@dataclass(frozen=True)
class StoredFile:
    """An upload copied into the uploads directory."""

    filename: str
    original_filename: str
    stored_path: Path
    file_type: str
    size_bytes: int
    content_hash: str


@dataclass(frozen=True)
class RejectedFile:
    """An upload that was not stored, and why."""

    filename: str
    reason: str
    original_filename: str


Upload = StoredFile | RejectedFile


def display_name(name: str) -> str:
    """A client-supplied name made safe to show and store in a column (never a path): no
    invisible or control characters, at most ``MAX_NAME_LENGTH`` characters."""
    visible = (
        c for c in name.replace("\\", "/") if unicodedata.category(c) not in _HIDDEN_CATEGORIES
    )
    cleaned = "".join(visible).strip() or "unnamed"
    if len(cleaned) <= MAX_NAME_LENGTH:
        return cleaned
    suffix = PurePosixPath(cleaned).suffix[:16]
    return cleaned[: MAX_NAME_LENGTH - len(suffix) - 1] + "…" + suffix


def original_name(name: str) -> str:
    """A client-supplied name as given, in a form every database stores (NUL and undecodable
    bytes escaped)."""
    return name.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def store_upload(path: Path, uploads_dir: Path, max_bytes: int) -> list[Upload]:
    """Copy every document under ``path`` (a file, a directory or a zip archive: one upload)
    into ``uploads_dir``; a file that cannot be stored is rejected alone.

    All that the upload unpacks to (files and archive members) is bounded by ``max_bytes``,
    checked while it is read: past it, whatever was stored is deleted and the upload becomes
    one RejectedFile that says so.
    """
    if not (path.is_dir() or path.is_file()):
        return [_rejected(path.name, "does not exist")]
    uploads_dir.mkdir(parents=True, exist_ok=True)
    budget = ByteBudget(max_bytes)
    uploads: list[Upload] = []
    try:
        for file, label in _files_of(path):
            # one at a time, so that what was stored before a failure is known and discarded
            for upload in _store_any(file, label, uploads_dir, budget):
                uploads.append(upload)
    except OverBudgetError as exc:
        discard(uploads)
        return [_over_limit(path.name or str(path), exc)]
    except BaseException:
        discard(uploads)
        raise
    return uploads


def discard(uploads: Iterable[Upload]) -> None:
    """Delete the stored copies of ``uploads``."""
    for upload in uploads:
        if isinstance(upload, StoredFile):
            upload.stored_path.unlink(missing_ok=True)


def store_bitext(path: Path, uploads_dir: Path, max_bytes: int) -> Upload:
    """Copy one bitext file into ``uploads_dir`` under a name of our own that keeps its last
    two suffixes (``.tsv.gz``, ``.en``) for format detection; any extension is accepted."""
    label = path.name
    if not path.is_file():
        return _rejected(path.name, "does not exist")
    suffixes = [suffix.lower() for suffix in PurePosixPath(label).suffixes[-2:]]
    suffix = "".join(s for s in suffixes if _BITEXT_SUFFIX.match(s))
    uploads_dir.mkdir(parents=True, exist_ok=True)
    target = uploads_dir / f"{uuid.uuid4().hex}{suffix}"
    try:
        return _copy(path, label, target, ByteBudget(max_bytes))
    except OverBudgetError as exc:
        return _over_limit(label, exc)


def _files_of(path: Path) -> Iterator[tuple[Path, str]]:
    if path.is_dir():
        yield from _files_under(path)
    else:
        yield path, path.name


def _files_under(root: Path) -> Iterator[tuple[Path, str]]:
    """Files under ``root`` in name order, hidden entries and symlinked directories skipped."""
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                file = Path(directory) / name
                yield file, f"{root.name}/{file.relative_to(root).as_posix()}"


def _store_any(path: Path, label: str, uploads_dir: Path, budget: ByteBudget) -> Iterator[Upload]:
    if path.suffix.lower() not in ARCHIVE_EXTENSIONS:
        yield _store_file(path, label, uploads_dir, budget)
        return
    try:
        for member, content in read_zip_members(path, label, budget=budget):
            if isinstance(content, IngestError):
                yield _rejected(member, content.problem)
            else:
                yield _store_bytes(content, member, uploads_dir)
    except OverBudgetError:
        raise
    except IngestError as exc:
        yield _rejected(label, exc.problem)


def _store_file(path: Path, label: str, uploads_dir: Path, budget: ByteBudget) -> Upload:
    rejected = _unsupported(label)
    if rejected is not None:
        return rejected
    if not path.is_file():  # a pipe or a device found in a directory would never end
        return _rejected(label, "is not a regular file")
    return _copy(path, label, _target(label, uploads_dir), budget)


def _copy(path: Path, label: str, target: Path, budget: ByteBudget) -> Upload:
    """Copy ``path`` to ``target`` within ``budget`` (OverBudgetError past it, with nothing left
    at ``target``)."""
    try:
        budget.reserve(label, path.stat().st_size)
        _copy_bounded(path, label, target, budget)
    except OSError as exc:
        return _rejected(label, f"cannot be read ({exc.strerror or type(exc).__name__})")
    return _stored(label, target, content_hash(target))


def _copy_bounded(path: Path, label: str, target: Path, budget: ByteBudget) -> None:
    try:
        with path.open("rb") as source, target.open("wb") as sink:
            for chunk in budget.read(source, label):
                sink.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _store_bytes(content: bytes, label: str, uploads_dir: Path) -> Upload:
    rejected = _unsupported(label)
    if rejected is not None:
        return rejected
    target = _target(label, uploads_dir)
    target.write_bytes(content)
    return _stored(label, target, content_hash(content))


def _unsupported(label: str) -> RejectedFile | None:
    extension = PurePosixPath(label).suffix.lower()
    if extension in DOCUMENT_EXTENSIONS:
        return None
    shown = f"extension {extension!r}" if extension else "no extension"
    supported = ", ".join((*DOCUMENT_EXTENSIONS, *ARCHIVE_EXTENSIONS))
    return _rejected(label, f"has {shown}; supported: {supported}")


def _over_limit(label: str, exc: OverBudgetError) -> RejectedFile:
    return _rejected(
        label,
        f"unpacks to {exc.unpacked / 2**20:.1f} MB or more; the limit is "
        f"{exc.limit / 2**20:.0f} MB per upload (MEXMA_MAX_UPLOAD_MB); nothing of it was stored",
    )


def _rejected(label: str, reason: str) -> RejectedFile:
    return RejectedFile(display_name(label), reason, original_name(label))


def _target(label: str, uploads_dir: Path) -> Path:
    # our own unique name; only the (already validated) extension comes from the client
    return uploads_dir / f"{uuid.uuid4().hex}{PurePosixPath(label).suffix.lower()}"


def _stored(label: str, target: Path, digest: str) -> StoredFile:
    return StoredFile(
        filename=display_name(label),
        original_filename=original_name(label),
        stored_path=target,
        file_type=target.suffix.lstrip("."),
        size_bytes=target.stat().st_size,
        content_hash=digest,
    )


def record_upload(
    session: Session, upload: Upload, collection: str, owner: str | None = None
) -> tuple[int, bool]:
    """Create the rows of one upload in ``collection`` (its document, owned by the user named
    ``owner``, and its ingest job; a rejected file or a duplicate gets no document, only a job
    that has already ended and says why): the job id, and whether the job must be queued."""
    parameters = {**filename_parameters(upload), "collection": collection}
    if isinstance(upload, RejectedFile):
        job = db.create_job(session, JobKind.INGEST, parameters=parameters)
        db.fail_job(session, job.id, f"{upload.filename}: {upload.reason}")
        return job.id, False
    document = db.add_document(session, _new_document(upload, collection, owner))
    if document.status == DocumentStatus.DUPLICATE:
        return _report_duplicate(session, upload, document, parameters), False
    job = db.create_job(
        session, JobKind.INGEST, parameters={**parameters, "document_id": document.id}
    )
    return job.id, True


def _report_duplicate(
    session: Session, upload: StoredFile, duplicate: Document, parameters: dict[str, Any]
) -> int:
    """Keep nothing of a duplicate upload (the original holds the only copy of its bytes) and
    record a finished job that names the original; the job id."""
    original = db.get_document(session, duplicate.duplicate_of_id or 0)
    assert original is not None
    upload.stored_path.unlink(missing_ok=True)
    db.delete_document(session, duplicate.id)
    job = db.create_job(
        session, JobKind.INGEST, parameters={**parameters, "duplicate_of": original.id}
    )
    db.claim_job(session, job.id, hostname="")
    db.finish_job(
        session,
        job.id,
        message=f"duplicate of document {original.id} ({original.filename}); not indexed again",
        metrics={"duplicate_of": original.id},
    )
    return job.id


def filename_parameters(upload: Upload) -> dict[str, str]:
    """The job parameters that name an upload: its display name, and the name as given when
    cleaning changed it (``original_filename``)."""
    if upload.original_filename == upload.filename:
        return {"filename": upload.filename}
    return {"filename": upload.filename, "original_filename": upload.original_filename}


def _new_document(upload: StoredFile, collection: str, owner: str | None) -> db.NewDocument:
    return db.NewDocument(
        collection=collection,
        content_hash=upload.content_hash,
        filename=upload.filename,
        file_type=upload.file_type,
        size_bytes=upload.size_bytes,
        stored_path=str(upload.stored_path),
        owner=owner,
    )
