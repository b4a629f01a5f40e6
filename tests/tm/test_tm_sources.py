"""Mining sides: sentences of files, directories and collections, in one language."""

from __future__ import annotations

from pathlib import Path

import pytest

from mexma_search.store import (
    NewChunk,
    NewDocument,
    add_document,
    make_engine,
    migrate,
    read_scope,
    replace_chunks,
    session_scope,
)
from mexma_search.tm.sources import SourceError, file_sentences, side_sentences

TMX = """<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4"><header srclang="en"/><body>
<tu><tuv xml:lang="en"><seg>The red door. It opens.</seg></tuv>
<tuv xml:lang="de"><seg>Die rote Tür. Sie geht auf.</seg></tuv></tu>
</body></tmx>
"""


def test_a_directory_of_files_gives_its_sentences_in_reading_order(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("First one. Second one.\n\nThird one.", encoding="utf-8")
    (tmp_path / "b.tmx").write_text(TMX, encoding="utf-8")
    sentences, lang = file_sentences(tmp_path, "en")
    assert lang == "en"
    assert sentences == ["First one.", "Second one.", "Third one.", "The red door.", "It opens."]
    assert file_sentences(tmp_path / "b.tmx", "de")[0] == ["Die rote Tür.", "Sie geht auf."]


def test_the_language_is_detected_when_not_given(tmp_path: Path) -> None:
    path = tmp_path / "doc.txt"
    path.write_text(
        "El ayuntamiento abrirá la biblioteca nueva el próximo lunes por la mañana. "
        "Los vecinos podrán pedir libros prestados durante todo el verano.",
        encoding="utf-8",
    )
    assert file_sentences(path, None)[1] == "es"


def test_a_broken_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "bad.tmx").write_text("<tmx><body><tu>", encoding="utf-8")
    with pytest.raises(SourceError, match=r"bad\.tmx"):
        file_sentences(tmp_path, "en")


def test_a_collection_gives_the_sentences_of_its_passages_in_the_language(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'meta.db'}")
    migrate(engine)
    with session_scope(engine) as session:
        for name, text, lang in [
            ("en.txt", "One here. Two here.", "en"),
            ("fr.txt", "Un ici.", "fr"),
        ]:
            document = add_document(
                session, NewDocument("manuals", name, name, "txt", len(text), f"/x/{name}")
            )
            replace_chunks(
                session,
                document.id,
                [
                    NewChunk(
                        0,
                        text,
                        0,
                        len(text),
                        lang,
                        [(0, 9), (10, len(text))] if lang == "en" else [],
                    )
                ],
            )
    with read_scope(engine) as session:
        assert side_sentences("manuals", "en", session) == ["One here.", "Two here."]
        assert side_sentences("manuals", "fr", session) == ["Un ici."]
        with pytest.raises(SourceError, match="no sentences in language 'de'"):
            side_sentences("manuals", "de", session)
        with pytest.raises(SourceError, match="no collection named 'nope'"):
            side_sentences("nope", "en", session)
    with pytest.raises(SourceError, match="no such file"):
        side_sentences(str(tmp_path / "missing"), "en", None)
    engine.dispose()
