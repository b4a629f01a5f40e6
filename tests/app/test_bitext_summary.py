"""A bitext validation says which columns it read and the languages of the pairs."""

from __future__ import annotations

from pathlib import Path

from mexma_search.app.services import Services

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "bitext" / "sample.tsv"


def test_the_report_names_the_columns_and_languages_it_used(services: Services) -> None:
    by_header = services.validate_bitext(SAMPLE)["text"]
    assert "columns: the file's language-named columns" in by_header
    assert "languages: en → es (5 pairs)" in by_header

    chosen = services.validate_bitext(SAMPLE, src_column=2, trg_column="en")["text"]
    assert "columns: source #2 (from 0), target 'en'" in chosen
    assert "languages: es → en (5 pairs)" in chosen
