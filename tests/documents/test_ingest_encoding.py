"""Encoding detection: byte-order marks first, then UTF-8, then charset detection."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from mexma_search.documents import IngestError, parse_document
from mexma_search.documents.encoding import decode_text

RIVER_FR = "La rivière coule sous le pont ; l’été, l’eau est claire et les enfants s’y baignent."


def test_utf16_with_bom_fixture(docs: Path) -> None:
    doc = parse_document(docs / "bakery_de_utf16.txt")
    assert doc.title == "Die Bäckerei am Fluss"
    text = doc.text
    assert text.startswith("Die Bäckerei öffnet um sechs Uhr")
    assert "Frau Müller" in text
    assert "\ufeff" not in text


def test_cp1252_fixture(docs: Path) -> None:
    text = parse_document(docs / "bakery_fr_cp1252.txt").text
    assert "Mme Lefèvre prépare les baguettes" in text
    assert "le pain coûte 1,20 € et les croissants sont dorés" in text
    assert "pain d’épices. C’est l’œuvre d’une passionnée." in text


def test_cp1251_fixture(docs: Path) -> None:
    doc = parse_document(docs / "river_ru_cp1251.txt")
    assert doc.title == "Старая река"
    assert doc.text.startswith("Река берёт начало в холмах")


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
)
def test_bom_decides_and_is_removed(bom: bytes, encoding: str) -> None:
    assert decode_text(bom + RIVER_FR.encode(encoding), "r.txt") == RIVER_FR


def test_utf8_without_bom() -> None:
    assert decode_text("河流穿过老城区。".encode(), "r.txt") == "河流穿过老城区。"


def test_latin1_accents() -> None:
    text = "Le boulanger a fermé à midi, après la fête du village près de la rivière."
    assert decode_text(text.encode("latin-1"), "r.txt") == text


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("El niño", "latin-1"),  # a detector reads this as Big5
        ("Die Bäckerei öffnet früh; Grüße an Frau Müller.", "latin-1"),
        ("L’été, la rivière coûte 1,20 € à traverser…", "cp1252"),
        ("¿Dónde está la estación? ¡Aquí!", "cp1252"),
    ],
)
def test_short_western_text_is_read_as_windows_1252(text: str, encoding: str) -> None:
    assert decode_text(text.encode(encoding), "r.txt") == text


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Старая река течёт под мостом, и вода в ней холодная.", "cp1251"),
        ("Ο ποταμός ρέει κάτω από τη γέφυρα της πόλης.", "cp1253"),
    ],
)
def test_other_single_byte_scripts_are_not_taken_for_western_text(text: str, encoding: str) -> None:
    assert decode_text(text.encode(encoding), "r.txt") == text


def test_declared_encoding_is_used_when_valid() -> None:
    data = "Река течёт.".encode("cp1251")
    assert decode_text(data, "r.html", declared="windows-1251") == "Река течёт."


def test_lying_or_unknown_declaration_falls_back() -> None:
    assert decode_text(RIVER_FR.encode(), "r.html", declared="ascii") == RIVER_FR
    assert decode_text(RIVER_FR.encode(), "r.html", declared="no-such-codec") == RIVER_FR


def test_broken_utf16_after_bom_names_the_byte() -> None:
    with pytest.raises(IngestError, match=r"r\.txt: invalid utf-16-le text at byte 2"):
        decode_text(codecs.BOM_UTF16_LE + b"a\x00\x00\xdc", "r.txt")
