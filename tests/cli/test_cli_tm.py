"""``mexma-search mine`` and ``align``: pairs written as TSV/TMX, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mexma_search.app.runtime import Runtime
from mexma_search.app.serving_model import activate, register_model_version
from mexma_search.app.settings import get_settings
from mexma_search.cli import main
from mexma_search.encoder.bitext import read_bitext
from mexma_search.tm.mining import DEFAULT_THRESHOLD

EN = (
    "The cat sleeps on the mat. It is a sunny day.\n\nThe children play in the garden. "
    "Their mother calls them for dinner. They run inside.\n"
)
ES = (
    "El gato duerme en la alfombra. Es un día soleado.\n\nLos niños juegan en el jardín. "
    "Su madre los llama para cenar y ellos entran corriendo.\n"
)


def _mine_args(
    source: str, target: str, output: Path, *extra: str, target_lang: str = "es"
) -> list[str]:
    return [
        "mine", "--source", source, "--source-lang", "en", "--target", target,
        "--target-lang", target_lang, "--output", str(output), *extra,
    ]  # fmt: skip


@pytest.mark.slow
def test_align_pairs_a_document_with_its_translation(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(EN, encoding="utf-8")
    (tmp_path / "b.txt").write_text(ES, encoding="utf-8")
    output = tmp_path / "aligned.tmx"
    args = ["align", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), "--output", str(output)]
    result = cli.invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["languages"] == {"source": "en", "target": "es"}
    pairs = [(p.src, p.trg) for p in read_bitext(output)]
    assert pairs[0] == ("The cat sleeps on the mat.", "El gato duerme en la alfombra.")
    assert pairs[-1] == (
        "Their mother calls them for dinner. They run inside.",
        "Su madre los llama para cenar y ellos entran corriendo.",
    )
    assert summary["pairs"] == len(pairs) == 4


@pytest.mark.slow
def test_mine_finds_the_translations_and_writes_tsv(cli: CliRunner, tmp_path: Path) -> None:
    english = [
        "I like apples.",
        "The train leaves at noon.",
        "Where is the library?",
        "My brother is a doctor.",
        "The weather is cold today.",
        "We sold the old car.",
    ]
    spanish = [
        "El tren sale al mediodía.",
        "Me gustan las manzanas.",
        "Hoy hace frío.",
        "Los perros ladran por la noche.",
        "¿Dónde está la biblioteca?",
        "Vendimos el coche viejo.",
    ]
    (tmp_path / "en.txt").write_text("\n\n".join(english), encoding="utf-8")
    (tmp_path / "es.txt").write_text("\n\n".join(spanish), encoding="utf-8")
    (tmp_path / "known.tsv").write_text(
        "en\tes\nI like apples.\tMe gustan las manzanas.\nWhere is the library?\t"
        "¿Dónde está la biblioteca?\n",
        encoding="utf-8",
    )
    output = tmp_path / "mined.tsv"
    args = _mine_args(
        str(tmp_path / "en.txt"), str(tmp_path / "es.txt"), output,
        "--labelled", str(tmp_path / "known.tsv"), "--json",
    )  # fmt: skip
    result = cli.invoke(main, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["verified"] is True
    assert summary["suggestion"]["f1"] == 100.0
    mined = {(p.src, p.trg) for p in read_bitext(output)}
    assert {
        ("I like apples.", "Me gustan las manzanas."),
        ("The train leaves at noon.", "El tren sale al mediodía."),
        ("We sold the old car.", "Vendimos el coche viejo."),
    } <= mined
    assert ("My brother is a doctor.", "Los perros ladran por la noche.") not in mined


@pytest.mark.slow
def test_mine_keeps_the_margin_alone_for_a_language_written_without_spaces(
    cli: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "en.txt").write_text("I like apples.\n\nWhere is the library?", encoding="utf-8")
    (tmp_path / "ja.txt").write_text("図書館はどこですか？\n\nりんごが好きです。", encoding="utf-8")
    output = tmp_path / "mined.tsv"
    args = _mine_args(
        str(tmp_path / "en.txt"), str(tmp_path / "ja.txt"), output, "--json", target_lang="ja"
    )
    result = cli.invoke(main, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["verified"] is False
    assert summary["threshold"] == DEFAULT_THRESHOLD


def test_mine_names_a_side_that_does_not_exist(
    cli: CliRunner, tmp_path: Path, tiny_cls_model_dir: Path
) -> None:
    (tmp_path / "en.txt").write_text("One. Two.", encoding="utf-8")
    args = _mine_args(
        str(tmp_path / "en.txt"), "no-such-collection", tmp_path / "x.tsv",
        "--model", str(tiny_cls_model_dir),
    )  # fmt: skip
    result = cli.invoke(main, args)
    assert result.exit_code != 0
    assert "no collection named 'no-such-collection'" in result.output
    assert not (tmp_path / "x.tsv").exists()


def test_align_refuses_an_unknown_output_format(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("One.", encoding="utf-8")
    args = ["align", str(tmp_path / "a.txt"), str(tmp_path / "a.txt"), "--output", "x.csv"]
    result = cli.invoke(main, args)
    assert result.exit_code != 0
    assert "must end in .tsv or .tmx" in result.output


@pytest.mark.parametrize("named", [True, False], ids=["named-version", "live-version"])
def test_align_encodes_with_a_model_version_of_the_app(
    cli: CliRunner, tmp_path: Path, tiny_cls_model_dir: Path, named: bool
) -> None:
    runtime = Runtime(get_settings())
    try:
        register_model_version(runtime, "tuned", str(tiny_cls_model_dir))
        if not named:
            activate(runtime, "tuned")
    finally:
        runtime.close()
    sentences = "The cat sleeps. The train leaves at noon. We sold the car.\n"
    (tmp_path / "a.txt").write_text(sentences, encoding="utf-8")
    output = tmp_path / "pairs.tsv"
    args = ["align", str(tmp_path / "a.txt"), str(tmp_path / "a.txt"), "--output", str(output)]
    result = cli.invoke(main, [*args, *(["--model", "tuned"] if named else []), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["model"] == "tuned"
    # the tiny random model knows no language, but a sentence is always closest to itself
    rows = [line.split("\t") for line in output.read_text(encoding="utf-8").splitlines()[1:]]
    assert len(rows) == 3 and all(src == trg for src, trg, _score in rows)
