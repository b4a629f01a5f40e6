"""JSON Lines (.jsonl): one text field per record, each record a unit."""

from __future__ import annotations

import json

from mexma_search.documents.document import ParsedDocument
from mexma_search.documents.encoding import read_text
from mexma_search.documents.errors import IngestError

DEFAULT_FIELD = "text"


def parse_jsonl(
    data: bytes, source: str, text_field: str | None, encoding: str | None = None
) -> ParsedDocument:
    """The ``text_field`` (default ``text``) of every record; a bad line fails the file.
    ``encoding`` overrides the detected one."""
    field = text_field or DEFAULT_FIELD
    texts: list[str] = []
    decoded = read_text(data, source, chosen=encoding)
    # split on "\n" only: str.splitlines would also split inside strings holding U+2028
    for number, line in enumerate(decoded.text.split("\n"), start=1):
        if line.strip():
            texts.append(_record_text(line, number, field, source))
    document = ParsedDocument.from_units(((text, None) for text in texts), "jsonl")
    return document.read_in(decoded.encoding)


def _record_text(line: str, number: int, field: str, source: str) -> str:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise IngestError(source, f"line {number} is not valid JSON ({exc.msg})") from exc
    if not isinstance(record, dict):
        raise IngestError(source, f"line {number} is not a JSON object")
    if field not in record:
        fields = ", ".join(map(repr, record)) or "none"
        raise IngestError(source, f"line {number} has no field {field!r} (fields: {fields})")
    value = record[field]
    if value is None:
        return ""
    if not isinstance(value, str):
        raise IngestError(source, f"line {number}: field {field!r} is not a string")
    return value
