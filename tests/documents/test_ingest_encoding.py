"""Encoding detection: byte-order marks first, then UTF-8, then Western text, then charset
detection; the encoding read is reported, and a chosen one is applied as it is."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from mexma_search.documents import IngestError, parse_bytes, parse_document
from mexma_search.documents.encoding import decode_text, read_text, text_encoding

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


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("El niño".encode("latin-1"), "cp1252"),  # short Western text: not a detector's guess
        ("El niño juega con su mamá.".encode("latin-1"), "cp1252"),
        ("Łódź leży nad rzeką. Żółty dom stoi przy ulicy.".encode("cp1250"), "cp1250"),
        ("Старая река течёт через город.".encode("cp1251"), "cp1251"),
        ("El niño".encode(), "utf-8"),
        (codecs.BOM_UTF16_LE + "El niño".encode("utf-16-le"), "utf-16-le"),
    ],
)
def test_the_encoding_read_is_reported(data: bytes, encoding: str) -> None:
    decoded = read_text(data, "r.txt")
    assert decoded.encoding == encoding
    assert decoded.text == data.removeprefix(codecs.BOM_UTF16_LE).decode(encoding)


def test_a_chosen_encoding_is_applied_as_it_is() -> None:
    data = "Dobrý den, mám se dobře.".encode("cp1250")
    assert read_text(data, "r.txt").text == "Dobrý den, mám se dobøe."  # reads as Western
    chosen = read_text(data, "r.txt", chosen="Windows-1250")
    assert (chosen.text, chosen.encoding) == ("Dobrý den, mám se dobře.", "cp1250")
    with pytest.raises(IngestError, match=r"r\.txt: invalid utf-8 text at byte 4"):
        read_text(data, "r.txt", chosen="utf-8")


@pytest.mark.parametrize("name", ["klingon", "base64", "rot13", ""])
def test_an_unknown_or_non_text_encoding_is_refused_by_name(name: str) -> None:
    with pytest.raises(ValueError, match=f"unknown text encoding '{name}'; e.g. utf-8, cp1252"):
        text_encoding(name)


def test_only_plain_text_formats_take_an_encoding(docs: Path) -> None:
    data = (docs / "bakery_fr_cp1252.txt").read_bytes()
    assert parse_bytes(data, "b.md", encoding="latin-1").encoding == "iso8859-1"
    assert parse_bytes(data, "b.txt").encoding == "cp1252"
    assert parse_bytes((docs / "river_en_fr.pdf").read_bytes(), "r.pdf").encoding is None
    with pytest.raises(IngestError, match=r"r\.pdf: is a \.pdf file, which names its own"):
        parse_bytes((docs / "river_en_fr.pdf").read_bytes(), "r.pdf", encoding="cp1252")
