"""The sentences of a mining or alignment side: files on disk, or a collection in the store."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from mexma_search.documents.document import ParsedDocument
from mexma_search.documents.errors import IngestError
from mexma_search.documents.langid import UNDETERMINED, detect_language, normalize_language
from mexma_search.documents.split import split_sentences
from mexma_search.documents.walk import iter_documents
from mexma_search.store.tables import Chunk, Collection, Document


class SourceError(ValueError):
    """A side that cannot be read: a missing path or collection, a broken file, no sentences."""


def document_sentences(document: ParsedDocument, lang: str) -> list[str]:
    """The sentences of the document's units in ``lang`` (units declaring another language,
    such as the other side of a TMX, are left out), split by the app's splitter."""
    wanted = normalize_language(lang)
    sentences: list[str] = []
    for unit in document.units:
        if unit.language and normalize_language(unit.language) != wanted:
            continue
        text = document.text[unit.start : unit.end]
        sentences += [span.of(text) for span in split_sentences(text, lang)]
    return sentences


def parsed_files(path: Path) -> list[ParsedDocument]:
    """The documents of a file, a directory of files or a zip archive, in reading order.

    Raises :class:`SourceError` naming the first file that cannot be parsed.
    """
    try:
        outcomes = list(iter_documents(path))
    except IngestError as exc:
        raise SourceError(str(exc)) from exc
    documents: list[ParsedDocument] = []
    for name, outcome in outcomes:
        if isinstance(outcome, IngestError):
            raise SourceError(f"{name}: {outcome.problem}")
        documents.append(outcome)
    return documents


def file_sentences(path: Path, lang: str | None) -> tuple[list[str], str]:
    """The sentences of the files at ``path`` and their language (detected if not given)."""
    documents = parsed_files(path)
    if lang is None:
        lang, _ = detect_language(" ".join(document.text[:2000] for document in documents[:20]))
        if lang == UNDETERMINED:
            raise SourceError(f"{path}: cannot tell the language; give it")
    return [s for document in documents for s in document_sentences(document, lang)], lang


def collection_sentences(
    session: Session, collection: str, lang: str, document_ids: Sequence[int] = ()
) -> list[str]:
    """The sentences of the collection's passages in ``lang``, document by document (only
    those of ``document_ids`` when given).

    Raises :class:`SourceError` if there is no such collection, or a chosen document is not
    in it.
    """
    found = session.scalar(select(Collection.id).where(Collection.name == collection))
    if found is None:
        raise SourceError(f"no collection named {collection!r}")
    chosen = select(Document.id).where(Document.collection_id == found)
    if document_ids:
        chosen = chosen.where(Document.id.in_(document_ids))
        missing = set(document_ids) - set(session.scalars(chosen))
        if missing:
            raise SourceError(f"document #{min(missing)} is not in collection {collection!r}")
    return _chunk_sentences(session, chosen, lang)


def stored_document_sentences(session: Session, document_id: int, lang: str | None) -> list[str]:
    """The sentences of a stored document's passages in ``lang`` (default: the document's
    first language, or every passage if it has none), in reading order.

    Raises :class:`SourceError` if there is no such document.
    """
    document = session.get(Document, document_id)
    if document is None:
        raise SourceError(f"no document #{document_id}")
    lang = lang or (document.languages[0] if document.languages else None)
    return _chunk_sentences(session, select(Document.id).where(Document.id == document_id), lang)


def stored_document_language(session: Session, document_id: int) -> str | None:
    """The first language of a stored document (None if unknown or no such document)."""
    document = session.get(Document, document_id)
    return document.languages[0] if document is not None and document.languages else None


def _chunk_sentences(session: Session, documents: Select[int], lang: str | None) -> list[str]:
    """The sentences of the chosen documents' passages in ``lang`` (None: every passage),
    document by document."""
    wanted = normalize_language(lang) if lang else None
    chunks = session.scalars(
        select(Chunk)
        .where(Chunk.document_id.in_(documents.scalar_subquery()))
        .order_by(Chunk.document_id, Chunk.ordinal)
    )
    return [
        text
        for chunk in chunks
        if wanted is None or normalize_language(chunk.language) == wanted
        for start, end in chunk.sentence_spans()
        if (text := chunk.text[start:end].strip())
    ]


def side_sentences(source: str, lang: str, session: Session | None) -> list[str]:
    """A side named by a path that exists, else by a collection name (needs ``session``).

    Raises :class:`SourceError` when neither exists or the side holds no sentence.
    """
    path = Path(source)
    if path.exists():
        sentences, _ = file_sentences(path, lang)
    elif session is None:
        raise SourceError(f"{source}: no such file or directory")
    else:
        sentences = collection_sentences(session, source, lang)
    if not sentences:
        raise SourceError(f"{source}: no sentences in language {lang!r}")
    return sentences
