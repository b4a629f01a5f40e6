"""Walking a directory or an archive: every document parsed, each failure reported alone."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from mexma_search.documents.archive import DEFAULT_LIMITS, ZipLimits, read_zip_members
from mexma_search.documents.document import ParsedDocument
from mexma_search.documents.errors import IngestError
from mexma_search.documents.registry import ARCHIVE_EXTENSIONS, parse_bytes, parse_document

Outcome = ParsedDocument | IngestError


def iter_documents(
    path: Path, *, text_column: str | None = None, limits: ZipLimits = DEFAULT_LIMITS
) -> Iterator[tuple[str, Outcome]]:
    """``(relative name, document or error)`` for each file under ``path``.

    ``path`` may be a directory (walked recursively in name order, hidden entries and symlinked
    directories skipped), a zip archive, or a single file. Archives found in a directory are
    opened; archives inside archives are not. A broken file yields its IngestError and the walk
    goes on.

    Raises:
        IngestError: ``path`` does not exist.
    """
    if path.is_dir():
        for file in _files_under(path):
            yield from _iter_file(file, file.relative_to(path).as_posix(), text_column, limits)
    elif path.is_file():
        yield from _iter_file(path, path.name, text_column, limits)
    else:
        raise IngestError(str(path), "does not exist")


def _files_under(root: Path) -> Iterator[Path]:
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        for file in sorted(files):
            if not file.startswith("."):
                yield Path(directory) / file


def _iter_file(
    file: Path, name: str, text_column: str | None, limits: ZipLimits
) -> Iterator[tuple[str, Outcome]]:
    if file.suffix.lower() not in ARCHIVE_EXTENSIONS:
        yield name, _parse_file(file, name, text_column)
        return
    try:
        for label, content in read_zip_members(file, name, limits):
            if isinstance(content, IngestError):
                yield label, content
            else:
                yield label, _parse_member(content, label, text_column)
    except IngestError as exc:
        yield name, exc


def _parse_file(file: Path, name: str, text_column: str | None) -> Outcome:
    try:
        return parse_document(file, text_column=text_column)
    except IngestError as exc:
        # parse_document names the file by its base name; report the walk's relative name
        relabelled = IngestError(name, exc.problem)
        relabelled.__cause__ = exc
        return relabelled


def _parse_member(content: bytes, label: str, text_column: str | None) -> Outcome:
    try:
        return parse_bytes(content, label, text_column=text_column)
    except IngestError as exc:
        return exc
