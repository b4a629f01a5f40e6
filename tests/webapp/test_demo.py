"""The demo corpus: small, attributed, multilingual, and queued once into its collection."""

from __future__ import annotations

from pathlib import Path

from mexma_search.app.access import OPERATOR
from mexma_search.app.settings import Settings
from mexma_search.jobs.backends import open_services
from mexma_search.webapp.demo import DEMO_COLLECTION, DEMO_CORPUS, DEMO_FOLDERS, load_demo


def test_the_demo_corpus_is_small_attributed_and_multilingual() -> None:
    files = [path for path in DEMO_CORPUS.rglob("*") if path.is_file()]
    assert sum(path.stat().st_size for path in files) < 200_000
    attribution = (DEMO_CORPUS / "ATTRIBUTION.md").read_text()
    assert "CC BY-SA 4.0" in attribution and "public domain" in attribution.lower()
    languages = {path.parent.name for path in files if path.suffix == ".txt"}
    assert languages == {"en", "fr", "es"}
    # plain ASCII file names: no surprises with git, zip tools or other file systems
    assert all(path.name.isascii() for path in files)


def test_the_demo_is_queued_into_its_collection_once(
    tmp_path: Path, tiny_mean_model_dir: Path
) -> None:
    settings = Settings(data_dir=tmp_path, default_model=str(tiny_mean_model_dir), device="cpu")
    services = open_services(settings)
    try:
        job_ids = load_demo(services)
        documents = [p for folder in DEMO_FOLDERS for p in (DEMO_CORPUS / folder).rglob("*.txt")]
        assert len(job_ids) == len(documents) > 30
        assert services.collections(caller=OPERATOR) == [DEMO_COLLECTION]
        names = {d.filename for d in services.list_documents(limit=1000, caller=OPERATOR)}
        assert {"wikipedia/fr/Echecs.txt", "bible/es/Salmo 23.txt"} <= names
        assert load_demo(services) == []
    finally:
        services.runtime.close()
