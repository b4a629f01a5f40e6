"""Fixtures for the ingestion tests: the committed sample documents and generated ones."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"


@pytest.fixture(scope="session")
def docs() -> Path:
    """The folder of committed sample documents."""
    return DOCS


@pytest.fixture(scope="session")
def docx_bytes() -> bytes:
    """A German .docx: a heading, paragraphs, a blank paragraph, a table with a merged row."""
    document = docx.Document()
    document.add_heading("Der Fluss", level=1)
    document.add_paragraph("Der Fluss fließt durch die Altstadt und unter sieben Brücken.")
    document.add_paragraph("   ")
    table = document.add_table(rows=3, cols=2)
    for r, row in enumerate([["Abfahrt", "Ziel"], ["12.15 Uhr", "Küste"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    table.cell(2, 0).merge(table.cell(2, 1)).text = "Hunde fahren kostenlos mit."
    document.add_paragraph("Im Frühling ist das Wasser hoch und braun.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def make_zip(tmp_path: Path) -> Callable[..., Path]:
    """Build a zip in tmp_path from ``{member name: bytes}``."""

    def build(
        members: dict[str, bytes],
        name: str = "archive.zip",
        compression: int = zipfile.ZIP_DEFLATED,
    ) -> Path:
        path = tmp_path / name
        with zipfile.ZipFile(path, "w", compression=compression) as zf:
            for member, content in members.items():
                zf.writestr(member, content)
        return path

    return build
