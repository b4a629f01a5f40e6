"""Language identification on the sample documents and its edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from mexma_search.documents import (
    detect_language,
    dominant_language,
    normalize_language,
    parse_document,
)
from mexma_search.encoder.bitext.langcheck import LanguageChecker


@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("river_en.txt", "en"),
        ("river_fr.md", "fr"),
        ("bakery_es.html", "es"),
        ("train_de.txt", "de"),
        ("train_zh.txt", "zh"),
        ("train_ja.txt", "ja"),
        ("river_ru_cp1251.txt", "ru"),
        ("bakery_fr_cp1252.txt", "fr"),
    ],
)
def test_fixtures(docs: Path, name: str, language: str) -> None:
    detected, confidence = detect_language(parse_document(docs / name).text)
    assert detected == language
    assert 0.5 < confidence <= 1.0


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("河流穿过老城区。", "zh"),  # the model alone says Wu Chinese
        ("La panadería abre a las seis y vende pan fresco.", "es"),  # ... and Aragonese here
        ("แม่น้ำไหลผ่านเมืองเก่า", "th"),
        ("नदी पुराने शहर से होकर बहती है।", "hi"),
    ],
)
def test_close_varieties_fold_into_the_major_language(text: str, language: str) -> None:
    assert detect_language(text)[0] == language


@pytest.mark.parametrize("text", ["Hello", "OK", "12:30 14:45", "", "Paris, 2024"])
def test_short_text_is_undetermined_or_falls_back(text: str) -> None:
    assert detect_language(text) == ("und", 0.0)
    assert detect_language(text, fallback="fr") == ("fr", 0.0)


def test_low_confidence_falls_back() -> None:
    text = "The train leaves at noon."
    language, confidence = detect_language(text, min_confidence=0.999)
    assert language == "und" and 0 < confidence < 0.999


def test_restricting_languages() -> None:
    text = "Die Fähre überquert den Fluss."
    assert detect_language(text)[0] == "de"
    assert detect_language(text, languages=["en", "fr"])[0] in {"en", "fr"}
    with pytest.raises(ValueError, match="Unknown language"):
        detect_language(text, languages=["xx"])


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("en-US", "en"),
        ("FR_fr", "fr"),
        ("zh-Hans", "zh"),
        ("yue", "zh"),
        (None, "und"),
        (" ", "und"),
    ],
)
def test_normalize_language(tag: str | None, code: str) -> None:
    assert normalize_language(tag) == code


def test_dominant_language_weighs_by_length() -> None:
    assert dominant_language([("en", 10), ("fr", 30), ("en", 15), ("und", 100)]) == "fr"
    assert dominant_language([("und", 5)]) == "und"


def test_the_bitext_check_and_ingestion_detect_alike() -> None:
    text = "El río atraviesa el casco antiguo bajo siete puentes de piedra."
    assert (
        detect_language(text)[0] == LanguageChecker(min_confidence=0.3).mismatch(text, "en") == "es"
    )
