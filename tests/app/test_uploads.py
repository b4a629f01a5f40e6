"""What the user sees of an upload's name and of a bitext's problems: the name without
invisible characters (the original kept in the job), no server path in an error, and a
validation verdict that training keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from mexma_search.app.access import OPERATOR
from mexma_search.app.services import Services
from mexma_search.app.uploads import display_name

PAIRS = [(f"The river {n} flows under bridges", f"El río {n} pasa bajo puentes") for n in range(60)]


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("invoice\u202etxt.exe", "invoicetxt.exe"),  # right-to-left override
        ("a\u200bb\u200dc.txt", "abc.txt"),  # zero-width space and joiner
        ("\u2066left\u2069\u200e.md", "left.md"),  # bidi isolates and mark
        ("\ufeffbom\u00ad.txt", "bom.txt"),  # byte-order mark, soft hyphen
        ("line\u2028break\x85.txt", "linebreak.txt"),  # separators and C1 controls
        ("\u202e\u200b", "unnamed"),
        ("Größe – 報告.txt", "Größe – 報告.txt"),  # visible letters stay
    ],
)
def test_display_names_lose_invisible_characters(name: str, shown: str) -> None:
    assert display_name(name) == shown


def test_an_upload_shows_the_cleaned_name_and_keeps_the_original(
    services: Services, tmp_path: Path
) -> None:
    original = "notes\u200b\u202e.txt"
    path = tmp_path / original
    path.write_text("A short note about rivers.", encoding="utf-8")
    plain = tmp_path / "plain.txt"
    plain.write_text("Another note about bridges.", encoding="utf-8")
    tricky, ordinary = (
        services.get_job(i) for i in services.ingest_paths([path, plain], caller=OPERATOR)
    )
    assert tricky is not None and ordinary is not None
    assert tricky.parameters["filename"] == "notes.txt"
    assert tricky.parameters["original_filename"] == original
    assert ordinary.parameters["filename"] == "plain.txt"
    assert "original_filename" not in ordinary.parameters
    assert sorted(d.filename for d in services.list_documents(caller=OPERATOR)) == [
        "notes.txt",
        "plain.txt",
    ]


def test_errors_name_the_users_file_and_not_the_server_directories(
    services: Services, tmp_path: Path
) -> None:
    server_dir = tmp_path / "gradio" / "3f9c2a"
    server_dir.mkdir(parents=True)
    (job,) = (
        services.get_job(i)
        for i in services.ingest_paths([server_dir / "gone.txt"], caller=OPERATOR)
    )
    assert job is not None and job.status == "failed"
    assert job.error == "gone.txt: does not exist"

    broken = server_dir / "pairs.jsonl"
    broken.write_text('{"en": "one", "es": "uno"}\n{not json\n', encoding="utf-8")
    checked = services.validate_bitext(broken)
    assert checked["error"].startswith("pairs.jsonl, line 2: ")
    with pytest.raises(ValueError) as refused:
        services.start_training(broken)
    with pytest.raises(ValueError) as missing:
        services.start_training(server_dir / "missing.tsv")
    for message in (checked["error"], checked["text"], str(refused.value), str(missing.value)):
        assert str(tmp_path) not in message
    assert "missing.tsv" in str(missing.value)


@pytest.mark.parametrize("pairs", [1, 20])
def test_a_bitext_too_small_to_train_on_is_not_reported_ready(
    services: Services, tmp_path: Path, pairs: int
) -> None:
    bitext = tmp_path / "small.tsv"
    bitext.write_text("".join(f"{s}\t{t}\n" for s, t in PAIRS[:pairs]), encoding="utf-8")
    checked = services.validate_bitext(bitext)
    assert not checked["ok"] and "too few usable pairs" in checked["error"]
    with pytest.raises(ValueError) as refused:
        services.start_training(bitext)
    assert str(refused.value) == checked["error"]


def test_the_verdict_follows_the_training_parameters(services: Services, tmp_path: Path) -> None:
    bitext = tmp_path / "pairs.tsv"
    bitext.write_text("".join(f"{s}\t{t}\n" for s, t in PAIRS[:20]), encoding="utf-8")
    small_steps = {"batch_size": 4, "grad_accumulation": 1, "held_out": 4}
    assert services.validate_bitext(bitext, params=small_steps)["ok"]
    assert not services.validate_bitext(bitext, params={**small_steps, "held_out": 18})["ok"]
    bad = services.validate_bitext(bitext, params={"epochs": 2.5})
    assert not bad["ok"] and "whole number" in bad["error"]
