"""The sample corpus behind ``mexma-search serve --demo`` (see demo_corpus/ATTRIBUTION.md)."""

from __future__ import annotations

from pathlib import Path

from mexma_search.app.access import OPERATOR
from mexma_search.app.services import Services

DEMO_CORPUS = Path(__file__).parent / "demo_corpus"
DEMO_FOLDERS = ("wikipedia", "bible")
DEMO_COLLECTION = "demo"


def load_demo(services: Services) -> list[int]:
    """Queue the demo documents into the ``demo`` collection unless it exists already;
    the ids of the ingest jobs (none when the demo was loaded before)."""
    if DEMO_COLLECTION in services.collections(caller=OPERATOR):
        return []
    # the sample corpus is open to everyone: a visitor can try search without an account
    services.accounts.set_public(DEMO_COLLECTION)
    return services.ingest_paths(
        [DEMO_CORPUS / folder for folder in DEMO_FOLDERS], DEMO_COLLECTION, caller=OPERATOR
    )
