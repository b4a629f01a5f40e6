"""``mexma-search tm import``/``tm list``/``tm rename``/``tm delete`` and ``search --tm``, with
the real default model (a query in a third language finds a segment by meaning; the words that
translate the found ones are marked)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mexma_search.cli import main

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
BITEXT = Path(__file__).resolve().parents[1] / "fixtures" / "bitext"


def _json(cli: CliRunner, *args: str) -> object:
    result = cli.invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.slow
def test_import_list_and_concordance_search(cli: CliRunner) -> None:
    added = _json(
        cli, "tm", "import", str(BITEXT / "sample.tmx"), "--name", "s", "--collection", "c"
    )
    assert added == {"tm_id": 1, "name": "s", "collection": "c", "added": 5, "skipped": 0}
    _json(cli, "tm", "import", str(DOCS / "river.tmx"), "--name", "river", "--collection", "c")
    memories = _json(cli, "tm", "list")
    assert [(m["name"], m["segments"], m["pairs"]) for m in memories] == [
        ("river", 4, ["en-de", "en-es", "en-fr", "en-zh"]),
        ("s", 5, ["en-es"]),
    ]
    hits = _json(cli, "search", "--tm", "queso", "-k", "3")
    assert hits[0]["trg_text"] == "Pan, queso y vino."
    assert hits[0]["matched_side"] == "trg" and hits[0]["trg_spans"] == [[5, 10]]
    # German, in no TM: found by meaning, on either side
    hits = _json(cli, "search", "--tm", "Der nächste Zug fährt mittags ab.", "--pair", "es-en")
    assert hits[0]["src_text"] == "The next train leaves at noon."
    assert {(h["src_lang"], h["trg_lang"]) for h in hits} == {("en", "es")}
    hits = _json(cli, "search", "--tm", "ferry", "--tm-name", "river", "-k", "2")
    assert {h["tm"] for h in hits} == {"river"}
    assert hits[0]["src_text"] == "The ferry crosses the river every morning."
    shown = cli.invoke(main, ["search", "--tm", "queso", "-k", "1"])
    assert shown.exit_code == 0, shown.output
    assert "es: Pan, queso y vino." in shown.output and "c/s (en-es, matched es)" in shown.output


def test_tm_options_are_checked(cli: CliRunner, tmp_path: Path) -> None:
    refused = cli.invoke(main, ["search", "--tm", "x", "--lang", "en", "--passages"])
    assert refused.exit_code != 0
    assert "--lang, --passages do not apply to a translation memory search" in refused.output
    refused = cli.invoke(main, ["search", "x", "--pair", "en-es"])
    assert "add --tm" in refused.output
    no_languages = tmp_path / "pairs.tsv"
    no_languages.write_text("one\tuno\n", encoding="utf-8")
    refused = cli.invoke(
        main, ["tm", "import", str(no_languages), "--name", "n", "--collection", "c"]
    )
    assert refused.exit_code != 0 and "source language is missing" in refused.output
    assert json.loads(cli.invoke(main, ["tm", "list", "--json"]).stdout) == []


def _refused(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(main, list(args))
    assert result.exit_code != 0
    return result.output


@pytest.mark.slow
def test_rename_and_delete_a_memory(cli: CliRunner) -> None:
    _json(cli, "tm", "import", str(BITEXT / "sample.tmx"), "--name", "s", "--collection", "c")
    _json(cli, "tm", "import", str(DOCS / "river.tmx"), "--name", "river", "--collection", "c")
    renamed = _json(cli, "tm", "rename", "s", "food")
    assert renamed == {"collection": "c", "name": "s", "new_name": "food", "segments": 5}
    hits = _json(cli, "search", "--tm", "queso", "--tm-name", "food", "-k", "1")
    assert hits[0]["trg_text"] == "Pan, queso y vino." and hits[0]["tm"] == "food"
    assert "already has a translation memory named 'river'" in _refused(
        cli, "tm", "rename", "food", "river"
    )
    assert "1 to 200 characters" in _refused(cli, "tm", "rename", "food", " ")
    assert "no translation memory named 's'" in _refused(cli, "tm", "delete", "s")
    assert "no translation memory named 'food' in collection 'x'" in _refused(
        cli, "tm", "delete", "food", "--collection", "x"
    )
    shown = cli.invoke(main, ["tm", "delete", "food"])
    assert shown.exit_code == 0, shown.output
    assert "Deleted c/food (5 pairs)." in shown.output
    assert [m["name"] for m in _json(cli, "tm", "list")] == ["river"]  # type: ignore[index]
    hits = _json(cli, "search", "--tm", "queso", "-k", "5")
    assert all(hit["tm"] == "river" for hit in hits)  # type: ignore[index, union-attr]
    ferry = _json(cli, "search", "--tm", "ferry", "-k", "1")
    assert ferry[0]["src_text"] == "The ferry crosses the river every morning."  # type: ignore[index]


@pytest.mark.slow
def test_concordance_marks_the_translation_of_the_found_words(cli: CliRunner) -> None:
    _json(cli, "tm", "import", str(BITEXT / "sample.tsv"), "--name", "s", "--collection", "c")
    for query, side, text, found, other, translation in [
        ("rivers", "src", "The river flows through the old town.", "river", "trg", "río"),
        ("tren", "trg", "El próximo tren sale a mediodía.", "tren", "src", "train"),
    ]:
        [hit] = _json(cli, "search", "--tm", query, "-k", "1")  # type: ignore[misc]
        assert hit[f"{side}_text"] == text
        assert [text[s:e] for s, e in hit[f"{side}_spans"]] == [found]
        other_text = hit[f"{other}_text"]
        assert [other_text[s:e] for s, e in hit[f"{other}_aligned"]] == [translation]
        assert hit[f"{side}_aligned"] == []
