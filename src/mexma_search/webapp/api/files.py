"""Answers that are files to download (the exports)."""

from __future__ import annotations

from fastapi.responses import Response

from mexma_search.app.export import MEDIA_TYPES, ExportFormat


def attachment(text: str, fmt: ExportFormat, stem: str) -> Response:
    """``text`` as a download called ``<stem>.<fmt>``."""
    return Response(
        text,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'},
    )


def file_responses(*formats: ExportFormat) -> dict[int | str, dict[str, object]]:
    """The OpenAPI description of a route answering a file in one of ``formats``."""
    return {200: {"content": {MEDIA_TYPES[fmt]: {} for fmt in formats}}}
