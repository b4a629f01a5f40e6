"""The encoding a text document was read in is recorded, and a document can be read again in
an encoding the user chooses, without losing its old passages if that fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from mexma_search.app.access import Caller, Role
from mexma_search.app.services import Services
from mexma_search.index import LIVE_ALIAS
from mexma_search.jobs.inprocess import InProcessWorker
from mexma_search.store import chunks_of_documents, read_scope

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
TIMEOUT = 60
# Polish in Windows-1250: read as Windows-1252, "Łódź" would come out as "£ódŸ"
POLISH = "Łódź leży nad rzeką. Żółty dom stoi przy ulicy, gdzie rosną drzewa i kwiaty.\n"
# Czech in Windows-1250 reads as Western text too ("dobře" as "dobøe"): the user must say
CZECH = "Dobrý den, jak se máš? Mám se dobře, děkuji.\n"


def _ingest(services: Services, path: Path, collection: str = "c") -> int:
    [job_id] = services.ingest_paths([path], collection)
    job = services.wait_for_jobs([job_id], TIMEOUT)[0]
    assert job.status == "succeeded", job.error
    document_id: int = job.parameters["document_id"]
    return document_id


def _text(services: Services, document_id: int) -> str:
    """The document's passages, joined."""
    with read_scope(services.runtime.engine) as session:
        return " ".join(c.text for c in chunks_of_documents(session, [document_id])[document_id])


def test_the_detected_encoding_is_recorded_and_none_for_pdf(
    services: Services, worker: InProcessWorker, tmp_path: Path
) -> None:
    latin = tmp_path / "nino.txt"
    latin.write_bytes("El niño juega en la plaza con su mamá.\n".encode("latin-1"))
    polish = tmp_path / "lodz.txt"
    polish.write_bytes(POLISH.encode("cp1250"))
    ids = {name: _ingest(services, path) for name, path in [
        ("latin", latin), ("polish", polish), ("utf8", DOCS / "river_en.txt"),
        ("pdf", DOCS / "river_en_fr.pdf"),
    ]}  # fmt: skip
    found = {name: services.get_document(i, caller=_admin()) for name, i in ids.items()}
    assert {name: d.encoding for name, d in found.items() if d} == {
        "latin": "cp1252",
        "polish": "cp1250",
        "utf8": "utf-8",
        "pdf": None,
    }
    assert _text(services, ids["latin"]) == "El niño juega en la plaza con su mamá."
    assert _text(services, ids["polish"]) == POLISH.strip()


def test_a_document_read_again_in_the_chosen_encoding_replaces_its_passages_and_points(
    services: Services, worker: InProcessWorker, tmp_path: Path
) -> None:
    czech = tmp_path / "den.txt"
    czech.write_bytes(CZECH.encode("cp1250"))
    document_id = _ingest(services, czech)
    assert _text(services, document_id) == "Dobrý den, jak se máš? Mám se dobøe, dìkuji."
    uploads = sorted(p.name for p in services.settings.uploads_dir.iterdir())  # type: ignore[union-attr]

    job_id = services.reread_document(document_id, "Windows-1250")
    job = services.wait_for_jobs([job_id], TIMEOUT)[0]

    assert job.status == "succeeded", job.error
    assert "cp1250" in (job.message or "")
    after = services.get_document(document_id, caller=_admin())
    assert after is not None
    assert (after.encoding, after.status) == ("cp1250", "indexed")
    assert _text(services, document_id) == CZECH.strip()
    hits = services.search("Mám se dobře", k=1, caller=_admin())
    assert hits[0].document_id == document_id and "dobře, děkuji" in hits[0].text
    assert services.runtime.index.count(LIVE_ALIAS) == after.n_chunks
    # the original upload is kept as it was: no new copy, no rewrite
    assert sorted(p.name for p in services.settings.uploads_dir.iterdir()) == uploads  # type: ignore[union-attr]
    assert czech.read_bytes() == (services.settings.uploads_dir / uploads[0]).read_bytes()  # type: ignore[operator]


def test_a_failed_reread_keeps_the_old_passages_and_points(
    services: Services, worker: InProcessWorker, tmp_path: Path
) -> None:
    latin = tmp_path / "nino.txt"
    latin.write_bytes("El niño juega en la plaza con su mamá.\n".encode("latin-1"))
    document_id = _ingest(services, latin)
    old_texts = _text(services, document_id)
    old_points = services.runtime.index.count(LIVE_ALIAS)

    # not valid UTF-8: the parse fails before anything is written
    bad = services.wait_for_jobs([services.reread_document(document_id, "utf-8")], TIMEOUT)[0]
    assert bad.status == "failed" and "nino.txt: invalid utf-8 text at byte 5" in (bad.error or "")
    # the index refuses the new points: the old ones are written back
    index_type = type(services.runtime.index)
    real_upsert = index_type.upsert
    refused: list[int] = []

    def refuse_once(index: Any, collection: str, points: Any, **options: Any) -> int:
        if not refused:
            refused.append(len(list(points)))
            raise RuntimeError("disk full")
        return real_upsert(index, collection, points, **options)

    with mock.patch.object(index_type, "upsert", refuse_once):
        job_id = services.reread_document(document_id, "latin-1")
        broken = services.wait_for_jobs([job_id], TIMEOUT)[0]
    assert broken.status == "failed" and "disk full" in (broken.error or "")

    document = services.get_document(document_id, caller=_admin())
    assert document is not None and (document.status, document.encoding) == ("indexed", "cp1252")
    assert _text(services, document_id) == old_texts
    assert services.runtime.index.count(LIVE_ALIAS) == old_points
    assert services.search("niño", k=1, caller=_admin())[0].document_id == document_id


def test_rereading_is_refused_clearly(
    services: Services, worker: InProcessWorker, tmp_path: Path
) -> None:
    text_id = _ingest(services, DOCS / "river_en.txt", "shared")
    pdf_id = _ingest(services, DOCS / "river_en_fr.pdf", "shared")
    with pytest.raises(ValueError, match="unknown text encoding 'klingon'"):
        services.reread_document(text_id, "klingon")
    with pytest.raises(ValueError, match="unknown text encoding 'base64'"):
        services.reread_document(text_id, "base64")
    with pytest.raises(ValueError, match=r"river_en_fr\.pdf is a pdf file, which names its own"):
        services.reread_document(pdf_id, "cp1252")
    with pytest.raises(KeyError, match="no document #999"):
        services.reread_document(999, "cp1252")
    # editors re-read their own uploads only; readers nothing; a closed collection is unseen
    editor = Caller(
        "ed", Role.EDITOR, readable=frozenset({"shared"}), writable=frozenset({"shared"})
    )
    with pytest.raises(PermissionError, match="ed may not re-read document"):
        services.reread_document(text_id, "cp1252", caller=editor)
    outsider = Caller("out", Role.EDITOR, readable=frozenset(), writable=frozenset())
    with pytest.raises(KeyError):
        services.reread_document(text_id, "cp1252", caller=outsider)
    [own] = services.ingest_paths([DOCS / "train_de.txt"], "shared", caller=editor)
    own_id = services.wait_for_jobs([own], TIMEOUT)[0].parameters["document_id"]
    job = services.reread_document(own_id, "cp1252", caller=editor)
    assert services.wait_for_jobs([job], TIMEOUT)[0].status == "succeeded"


def _admin() -> Caller:
    return Caller("ada", Role.ADMIN)
