"""A bitext validation says which columns (TSV/CSV), keys (JSONL) or variants (TMX) it read,
among those the file offers, and the languages of the pairs; the file's fields are offered for
choosing."""

from __future__ import annotations

from pathlib import Path

from mexma_search.app.services import Services

BITEXT = Path(__file__).resolve().parents[1] / "fixtures" / "bitext"
SAMPLE = BITEXT / "sample.tsv"


def _read_as(services: Services, path: Path, **options: object) -> list[str]:
    return services.validate_bitext(path, **options)["text"].splitlines()[:2]


def test_the_report_names_the_columns_and_languages_it_used(services: Services) -> None:
    assert _read_as(services, SAMPLE) == [
        "columns: en (source), es (target), ref (pair id) of ref, en, es",
        "languages: en → es (5 pairs)",
    ]
    assert _read_as(services, SAMPLE, src_column=2, trg_column="en") == [
        "columns: es (source), en (target), ref (pair id) of ref, en, es",
        "languages: es → en (5 pairs)",
    ]
    assert _read_as(services, BITEXT / "sample.tmx", src_lang="es") == [
        "TMX variants: es (source), en (target) of en (5), es (5)",
        "languages: es → en (5 pairs)",
    ]
    assert _read_as(services, BITEXT / "sample.jsonl")[0] == (
        "keys: en (source), es (target), ref (pair id) of ref, en, es"
    )


def test_a_table_without_a_header_is_named_by_position(services: Services, tmp_path: Path) -> None:
    headerless = tmp_path / "pairs.tsv"
    headerless.write_text("".join(f"Sentence {i}.\tFrase {i}.\n" for i in range(6)))
    assert _read_as(services, headerless)[0] == (
        "columns: #0 (source), #1 (target) of 2 (no header row; numbered from 0)"
    )
    fields = services.bitext_fields(headerless)
    assert (fields.format, fields.header, fields.width, fields.names) == ("tsv", False, 2, ())


def test_the_fields_a_file_offers(services: Services) -> None:
    tsv = services.bitext_fields(SAMPLE)
    assert (tsv.format, tsv.names, tsv.header) == ("tsv", ("ref", "en", "es"), True)
    tmx = services.bitext_fields(BITEXT / "sample.tmx")
    assert (tmx.names, tmx.counts) == (("en", "es"), (5, 5))
    assert services.bitext_fields(BITEXT / "sample.jsonl").names == ("ref", "en", "es")
