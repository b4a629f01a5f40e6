"""Exports: TSV and TMX 1.4 files that the bitext readers read back identically."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mexma_search.encoder.bitext import read_bitext
from mexma_search.tm.export import export_pairs
from mexma_search.tm.mining import MinedPair

PAIRS = [
    MinedPair('Fish & chips <cheap> "today"', "Poisson & frites « pas cher »", 1.2345),
    MinedPair("Line one\r\nline two", "Ligne un\nligne deux", 1.1),
    MinedPair("日本語のテキスト。", "Texte japonais.", 1.05),
    MinedPair("It's 'quoted' ]]> here", "C'est ]]> là", 1.0),
]


def test_tmx_reads_back_identically_and_is_valid_xml(tmp_path: Path) -> None:
    path = export_pairs(tmp_path / "out.tmx", PAIRS, "en", "fr")
    root = ET.parse(path).getroot()
    assert root.tag == "tmx" and root.get("version") == "1.4"
    assert root.find("header").get("srclang") == "en"  # type: ignore[union-attr]
    assert [float(p.text or "") for p in root.iter("prop")] == [1.2345, 1.1, 1.05, 1.0]
    read = list(read_bitext(path))
    assert [(p.src, p.trg) for p in read] == [(p.src, p.trg) for p in PAIRS]
    assert {(p.src_lang, p.trg_lang) for p in read} == {("en", "fr")}


def test_tsv_reads_back_with_its_languages(tmp_path: Path) -> None:
    path = export_pairs(tmp_path / "out.tsv", PAIRS, "en", "fr")
    read = list(read_bitext(path))
    assert [(p.src, p.trg) for p in read] == [
        ('Fish & chips <cheap> "today"', "Poisson & frites « pas cher »"),
        ("Line one line two", "Ligne un ligne deux"),
        ("日本語のテキスト。", "Texte japonais."),
        ("It's 'quoted' ]]> here", "C'est ]]> là"),
    ]
    assert read[0].src_lang == "en" and read[0].trg_lang == "fr"
    assert path.read_text(encoding="utf-8").splitlines()[1].endswith("\t1.2345")


def test_characters_xml_forbids_are_left_out(tmp_path: Path) -> None:
    path = export_pairs(tmp_path / "out.tmx", [MinedPair("bell\x07 here", "ok", 1.0)], "en", "de")
    assert [(p.src, p.trg) for p in read_bitext(path)] == [("bell here", "ok")]


def test_an_unknown_suffix_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.tsv or \.tmx"):
        export_pairs(tmp_path / "out.csv", PAIRS, "en", "fr")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_keeps_the_previous_file(tmp_path: Path) -> None:
    path = export_pairs(tmp_path / "out.tsv", PAIRS[:1], "en", "fr")
    before = path.read_text(encoding="utf-8")

    def broken() -> list[MinedPair]:
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        export_pairs(path, (pair for pair in broken()), "en", "fr")
    assert path.read_text(encoding="utf-8") == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.tsv"]
