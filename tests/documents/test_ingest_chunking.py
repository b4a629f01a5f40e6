"""chunk_document end to end on the sample documents, and content hashes."""

from __future__ import annotations

import hashlib
from pathlib import Path

from mexma_search.documents import (
    ParsedDocument,
    approx_token_count,
    chunk_document,
    content_hash,
    parse_document,
)


def check_chunks(doc: ParsedDocument, max_tokens: int) -> None:
    chunks = chunk_document(doc, max_tokens=max_tokens)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert "\n\n" not in chunk.text
        assert approx_token_count(chunk.text) <= max_tokens
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)


def test_every_fixture_chunks_with_exact_offsets(docs: Path) -> None:
    for path in sorted(docs.iterdir()):
        if path.name != "broken.pdf":
            check_chunks(parse_document(path), max_tokens=24)


def test_languages_per_paragraph_and_per_unit(docs: Path) -> None:
    chunks = chunk_document(parse_document(docs / "river.tmx"), max_tokens=64)
    assert [c.language for c in chunks] == ["en", "fr", "es", "en", "de", "zh"]
    pdf_chunks = chunk_document(parse_document(docs / "river_en_fr.pdf"), max_tokens=64)
    assert [c.language for c in pdf_chunks] == ["en", "fr"]


def test_short_paragraphs_take_the_dominant_language(docs: Path) -> None:
    doc = ParsedDocument.from_text(
        "Hola\n\nLa panadería abre a las seis y vende pan fresco cada mañana.", "txt"
    )
    assert [c.language for c in chunk_document(doc, max_tokens=64)] == ["es", "es"]


def test_language_rules_drive_the_splitting(docs: Path) -> None:
    chunks = chunk_document(parse_document(docs / "train_ja.txt"), max_tokens=200)
    body = chunks[0]  # the title line is the document's title, not a passage
    assert body.language == "ja"
    assert [s.of(body.text) for s in body.sentences] == [
        "次の海岸行きの列車は、正午十二時十五分に四番線から発車します。",
        "祝日は一時間に一本しか運行しません！",
        "切符はどこで買えますか？",
        "自動券売機か旅行センターでお求めください。",
    ]


def test_custom_counter_and_language_restriction(docs: Path) -> None:
    doc = parse_document(docs / "river_en.txt")
    chunks = chunk_document(
        doc, max_tokens=8, count_tokens=lambda t: len(t.split()), languages=["en", "de"]
    )
    assert all(len(c.text.split()) <= 8 for c in chunks)
    assert {c.language for c in chunks} == {"en"}


def test_empty_document_has_no_chunks() -> None:
    assert chunk_document(ParsedDocument.from_text("  ", "txt"), max_tokens=10) == []


def test_content_hash_of_path_and_bytes(docs: Path, tmp_path: Path) -> None:
    data = (docs / "river_en.txt").read_bytes()
    expected = hashlib.sha256(data).hexdigest()
    assert content_hash(docs / "river_en.txt") == expected == content_hash(data)
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (3 << 20) + b"y")
    assert content_hash(big) == hashlib.sha256(big.read_bytes()).hexdigest()
    assert content_hash(b"a") != content_hash(b"b")
