"""The backend commands of the CLI in embedded mode: each command runs its own worker.

The cross-lingual test uses the real default model: an English, German or French query must
find the passage that says the same in Japanese, Spanish or Russian.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mexma_search.app.access import OPERATOR
from mexma_search.app.settings import get_settings
from mexma_search.cli import main
from mexma_search.jobs.backends import open_services

pytestmark = pytest.mark.filterwarnings("ignore:Failed to obtain server version:UserWarning")

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
# five languages in five formats, and a broken file
CROSS_LINGUAL = [
    "train_ja.txt",
    "bakery_es.html",
    "river_ru_cp1251.txt",
    "river_fr.md",
    "timetable.csv",
    "broken.pdf",
]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.setenv("MEXMA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEXMA_DEVICE", "cpu")
    monkeypatch.setenv("MEXMA_CPU_THREADS", "1")
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _json(*args: str) -> object:
    result = _run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.slow
def test_ingest_then_search_across_languages_with_the_default_model(
    env: pytest.MonkeyPatch, default_model_dir: Path, tmp_path: Path
) -> None:
    env.setenv("MEXMA_MODELS_DIR", str(default_model_dir.parent))
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in CROSS_LINGUAL:
        shutil.copy(DOCS / name, docs / name)
    result = _run("ingest", str(docs), "--collection", "fixtures", "--wait", "--json")
    assert result.exit_code == 1  # one file is broken
    summary = json.loads(result.stdout)
    assert summary["documents"] == len(CROSS_LINGUAL) - 1
    assert {"en", "fr", "de", "es", "ja", "ru"} <= set(summary["languages"])
    [failure] = summary["failures"]
    assert failure["file"] == "docs/broken.pdf" and "PDF" in failure["reason"]

    def top(query: str, lang: str) -> dict[str, object]:
        results = _json("search", query, "--lang", lang, "-k", "1")
        assert isinstance(results, list) and len(results) == 1
        assert {"score", "text", "sentence", "lang", "document", "collection", "chunk"} <= set(
            results[0]
        )
        assert results[0]["lang"] == lang and results[0]["collection"] == "fixtures"
        return results[0]

    ticket = top("Where can I buy a ticket?", "ja")
    assert ticket["document"] == "docs/train_ja.txt" and "切符" in str(ticket["sentence"])
    bakery = top("Wann öffnet die Bäckerei am Morgen?", "es")
    assert "panadería abre" in str(bakery["sentence"])
    river = top("Le passeur traverse la rivière chaque matin.", "ru")
    assert river["document"] == "docs/river_ru_cp1251.txt"

    documents = _json("documents", "list")
    assert isinstance(documents, list)
    japanese = next(d for d in documents if d["filename"] == "docs/train_ja.txt")
    assert _json("documents", "delete", str(japanese["id"])) == {"deleted": japanese["id"]}
    after = _json("search", "Where can I buy a ticket?", "--lang", "ja", "-k", "5")
    assert isinstance(after, list)
    assert all(r["document"] != "docs/train_ja.txt" for r in after)


def test_jobs_models_and_promotion_commands(
    env: pytest.MonkeyPatch, tiny_mean_model_dir: Path, tiny_cls_model_dir: Path
) -> None:
    env.setenv("MEXMA_DEFAULT_MODEL", str(tiny_mean_model_dir))
    queued = _json("ingest", str(DOCS / "river_en.txt"))
    assert isinstance(queued, dict) and len(queued["jobs"]) == 1
    job_id = queued["jobs"][0]
    assert _json("jobs", "show", str(job_id))["status"] == "queued"  # type: ignore[index]
    # the next command that runs a worker picks the queued job up
    summary = _json("ingest", str(DOCS / "train_de.txt"), "--wait")
    assert summary["documents"] == 1  # type: ignore[index]
    promoted = _json("models", "promote", str(tiny_cls_model_dir), "--wait")
    assert promoted["status"] == "succeeded"  # type: ignore[index]
    jobs = _json("jobs", "list")
    assert isinstance(jobs, list)
    assert [job["kind"] for job in jobs] == ["reindex", "ingest", "ingest"]
    assert all(job["status"] == "succeeded" for job in jobs)
    versions = _json("models", "versions")
    assert isinstance(versions, list)
    live = [v["name"] for v in versions if v["live"]]
    assert live == [tiny_cls_model_dir.name]
    results = _json("search", "river", "-k", "3", "--passages")
    assert isinstance(results, list) and len(results) == 3
    documents = _json("search", "river", "-k", "3")  # one result per document: there are 2
    assert isinstance(documents, list) and len({r["document_id"] for r in documents}) == 2
    assert len(documents) == 2
    missing = _run("jobs", "show", "999")
    assert missing.exit_code == 1 and "no job 999" in missing.output


def test_the_worker_command_needs_a_broker(env: pytest.MonkeyPatch) -> None:
    result = _run("worker")
    assert result.exit_code == 1
    assert "MEXMA_REDIS_URL" in result.output


def test_doctor_reports_drift_with_status_1_and_repairs_it(
    env: pytest.MonkeyPatch, tiny_mean_model_dir: Path
) -> None:
    env.setenv("MEXMA_DEFAULT_MODEL", str(tiny_mean_model_dir))
    _json("ingest", str(DOCS / "river_en.txt"), str(DOCS / "train_de.txt"), "--wait")
    report = _json("doctor")
    assert isinstance(report, dict) and report["healthy"] and report["points"] > 0
    services = open_services(get_settings())
    try:  # lose one document's points, as an index restored from an old backup would
        services.runtime.index.delete_document(services.list_documents(caller=OPERATOR)[0].id)
    finally:
        services.runtime.close()
    sick = _run("doctor")
    assert sick.exit_code == 1 and "missing" in sick.output and "--repair" in sick.output
    repaired = _run("doctor", "--repair")
    assert repaired.exit_code == 0 and "ingest job" in repaired.output, repaired.output
    assert _json("doctor")["healthy"]  # type: ignore[index]


def test_search_pages_follow_on_from_each_other(
    env: pytest.MonkeyPatch, tiny_mean_model_dir: Path
) -> None:
    env.setenv("MEXMA_DEFAULT_MODEL", str(tiny_mean_model_dir))
    names = ("river_en.txt", "river_fr.md", "train_de.txt", "bakery_es.html", "train_zh.txt")
    _json("ingest", *(str(DOCS / name) for name in names), "--wait")
    whole = _json("search", "river", "--passages", "--limit", "4")
    assert isinstance(whole, list) and len(whole) == 4
    first, second = (
        _json("search", "river", "--passages", "--limit", "2", "--page", page) for page in "12"
    )
    assert [r["chunk_id"] for r in first + second] == [r["chunk_id"] for r in whole]  # type: ignore[operator, index]
    shown = _run("search", "river", "--passages", "-k", "2", "--page", "2")
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith(" 3. ") and "More: --page 3" in shown.output
    past = _run("search", "river", "--limit", "30", "--page", "4")
    assert past.exit_code == 2 and "--page" in past.output and "page 3" in past.output
