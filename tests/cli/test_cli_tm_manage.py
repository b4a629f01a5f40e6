"""``mexma-search tm rename`` and ``tm delete``: the memory's pairs follow a rename, a deleted
memory's pairs leave the search while the other memory stays searchable, and clear errors."""

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
        ("cheese", "src", "Bread, cheese and wine.", "cheese", "trg", "queso"),
        ("tren", "trg", "El próximo tren sale a mediodía.", "tren", "src", "train"),
    ]:
        [hit] = _json(cli, "search", "--tm", query, "-k", "1")  # type: ignore[misc]
        assert hit[f"{side}_text"] == text
        assert [text[s:e] for s, e in hit[f"{side}_spans"]] == [found]
        other_text = hit[f"{other}_text"]
        assert [other_text[s:e] for s, e in hit[f"{other}_aligned"]] == [translation]
        assert hit[f"{side}_aligned"] == []
