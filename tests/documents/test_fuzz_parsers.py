"""Fuzzing the document parsers: whatever the bytes, a parser returns a document with text or
raises IngestError naming the file (never another exception, never a server path)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mexma_search.documents import IngestError
from mexma_search.documents.archive import read_zip_members
from mexma_search.documents.registry import parse_bytes

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
SAMPLES = sorted(p for p in DOCS.iterdir() if p.suffix != ".pdf" or p.name != "broken.pdf")
EXTENSIONS = sorted({p.suffix for p in SAMPLES} | {".docx", ".tsv", ".htm", ".markdown"})
ENCODINGS = ["utf-8", "utf-16", "utf-16-le", "cp1252", "latin-1", "cp1251", "shift_jis", "gb18030"]
FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def _parses_or_names_the_file(data: bytes, name: str) -> None:
    try:
        document = parse_bytes(data, name)
    except IngestError as error:
        assert name in str(error)
        assert "/tmp" not in str(error) and str(DOCS) not in str(error)
        return
    assert document.text.strip()


@FUZZ
@given(data=st.binary(max_size=4096), extension=st.sampled_from(EXTENSIONS))
def test_random_bytes(data: bytes, extension: str) -> None:
    _parses_or_names_the_file(data, f"upload{extension}")


@FUZZ
@given(sample=st.sampled_from(SAMPLES), cut=st.floats(min_value=0.0, max_value=1.0))
def test_truncated_real_files(sample: Path, cut: float) -> None:
    data = sample.read_bytes()
    _parses_or_names_the_file(data[: int(len(data) * cut)], sample.name)


@FUZZ
@given(
    sample=st.sampled_from(SAMPLES),
    position=st.integers(min_value=0),
    garbage=st.binary(min_size=1, max_size=64),
)
def test_real_files_with_bytes_overwritten(sample: Path, position: int, garbage: bytes) -> None:
    data = bytearray(sample.read_bytes())
    start = position % max(len(data), 1)
    data[start : start + len(garbage)] = garbage
    _parses_or_names_the_file(bytes(data), sample.name)


@FUZZ
@given(
    text=st.text(min_size=0, max_size=500),
    encoding=st.sampled_from(ENCODINGS),
    extension=st.sampled_from([".txt", ".md", ".csv", ".html", ".jsonl", ".tmx"]),
)
def test_any_text_in_odd_encodings(text: str, encoding: str, extension: str) -> None:
    _parses_or_names_the_file(text.encode(encoding, errors="replace"), f"notes{extension}")


@FUZZ
@given(
    members=st.dictionaries(
        st.sampled_from(
            ["word/document.xml", "[Content_Types].xml", "_rels/.rels", "docProps/core.xml", "x"]
        ),
        st.one_of(
            st.binary(max_size=300),
            st.text(max_size=300).map(lambda t: f"<w:document>{t}</w:document>".encode()),
        ),
    )
)
def test_docx_archives_of_random_members(members: dict[str, bytes]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    _parses_or_names_the_file(buffer.getvalue(), "report.docx")


@FUZZ
@given(
    position=st.integers(min_value=0),
    garbage=st.binary(min_size=1, max_size=32),
    cut=st.floats(min_value=0.1, max_value=1.0),
)
def test_damaged_zip_uploads(position: int, garbage: bytes, cut: float) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for sample in SAMPLES[:4]:
            archive.writestr(sample.name, sample.read_bytes())
    data = bytearray(buffer.getvalue())
    # the central directory at the end holds the offsets and sizes zipfile trusts
    start = len(data) - 1 - position % min(len(data), 200)
    data[start : start + len(garbage)] = garbage
    damaged = bytes(data) if cut > 0.5 else bytes(data[: max(1, int(len(data) * cut))])
    try:
        for label, content in read_zip_members(damaged, "upload.zip"):
            assert label.startswith("upload.zip")
            assert isinstance(content, bytes | IngestError)
    except IngestError as error:
        assert "upload.zip" in str(error)
