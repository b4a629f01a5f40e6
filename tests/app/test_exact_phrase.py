"""A query of names, codes or numbers puts the passages holding it as typed first."""

from __future__ import annotations

from pathlib import Path

from mexma_search.app.access import OPERATOR
from mexma_search.app.exact_phrase import phrase_first, words
from mexma_search.app.services import Services
from mexma_search.jobs.inprocess import InProcessWorker

TIMEOUT = 120


def test_words_ignore_case_punctuation_and_spacing() -> None:
    assert words("With 7,097,329 people (Haber–Bosch)") == " with 7 097 329 people haber bosch "
    assert words("ISO 9001") in words("follows iso  9001, clause 7")
    assert words("ISO 9001") not in words("ISO 90012 and 9001 ISO")
    assert words("Ñandú") == words("N\u0303andu\u0301")  # NFC: composed and decomposed alike


def test_holders_of_the_phrase_go_first_each_part_in_its_order() -> None:
    ranked = ["iso only", "9001 iso", "a iso 9001 b", "9001", "ISO-9001 again"]
    assert phrase_first(ranked, "ISO 9001", str) == [
        "a iso 9001 b",
        "ISO-9001 again",
        "iso only",
        "9001 iso",
        "9001",
    ]
    assert phrase_first(ranked, " ¿? ", str) == ranked


def test_a_code_query_ranks_the_passage_holding_it_over_one_repeating_its_words(
    services: Services, worker: InProcessWorker, tmp_path: Path
) -> None:
    (tmp_path / "audit.txt").write_text(
        "Every plant is certified.\n\nThe audit follows ISO 9001 clause 7 for each site.\n",
        encoding="utf-8",
    )
    (tmp_path / "norms.txt").write_text(
        "ISO norms, ISO rules and ISO committees. Part 9001, form 9001, 9001 ISO copies.\n",
        encoding="utf-8",
    )
    services.wait_for_jobs(services.ingest_paths([tmp_path], caller=OPERATOR), TIMEOUT)
    hybrid = services.search("ISO 9001", k=5, caller=OPERATOR)
    assert [Path(r.document).name for r in hybrid] == ["audit.txt", "norms.txt"]
    assert "ISO 9001" in hybrid[0].text
