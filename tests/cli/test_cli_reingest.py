"""``documents reingest``: read a plain-text document again in a chosen encoding, and clear
refusals (unknown encoding, unknown document, a format that names its own)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mexma_search.app.settings import get_settings
from mexma_search.cli import main

pytestmark = pytest.mark.filterwarnings("ignore:Failed to obtain server version:UserWarning")
DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"


@pytest.fixture
def env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_mean_model_dir: Path
) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.setenv("MEXMA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEXMA_DEVICE", "cpu")
    monkeypatch.setenv("MEXMA_CPU_THREADS", "1")
    monkeypatch.setenv("MEXMA_DEFAULT_MODEL", str(tiny_mean_model_dir))
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_reingest_reads_a_document_again_in_the_chosen_encoding(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    czech = tmp_path / "den.txt"
    czech.write_bytes("Dobrý den, jak se máš? Mám se dobře, děkuji.\n".encode("cp1250"))
    assert _run("ingest", str(czech), str(DOCS / "river_en_fr.pdf"), "--wait").exit_code == 0
    listed = {d["filename"]: d for d in json.loads(_run("documents", "list", "--json").stdout)}
    text_id, pdf_id = str(listed["den.txt"]["id"]), str(listed["river_en_fr.pdf"]["id"])
    assert (listed["den.txt"]["encoding"], listed["river_en_fr.pdf"]["encoding"]) == (
        "cp1252",
        None,
    )
    assert "cp1252" in _run("documents", "list").stdout

    done = _run("documents", "reingest", text_id, "--encoding", "cp1250", "--wait")
    assert done.exit_code == 0, done.output
    assert "succeeded" in done.stdout and "read again as cp1250" in done.stdout
    listed = {d["filename"]: d for d in json.loads(_run("documents", "list", "--json").stdout)}
    assert listed["den.txt"]["encoding"] == "cp1250"
    found = json.loads(_run("search", "Mám se dobře", "-k", "1", "--json").stdout)
    assert "dobře, děkuji" in found[0]["text"]

    unknown = _run("documents", "reingest", text_id, "--encoding", "klingon")
    assert unknown.exit_code != 0 and "unknown text encoding 'klingon'" in unknown.output
    pdf = _run("documents", "reingest", pdf_id, "--encoding", "cp1252")
    assert pdf.exit_code != 0 and "which names its own encoding" in pdf.output
    missing = _run("documents", "reingest", "999", "--encoding", "cp1252")
    assert missing.exit_code != 0 and "no document 999" in missing.output
    queued = json.loads(
        _run("documents", "reingest", text_id, "--encoding", "cp1250", "--json").stdout
    )
    assert set(queued) == {"job"}
