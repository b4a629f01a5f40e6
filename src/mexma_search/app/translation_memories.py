"""Translation memories: filling them (pairs from a service call, a TMX/TSV file, a TMX upload
in the library) and keeping their segments in the vector index (see
:mod:`mexma_search.tm.memory_index`)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from mexma_search.app.runtime import Runtime
from mexma_search.app.serving_model import ServingModel, serving_model
from mexma_search.documents.langid import UNDETERMINED, normalize_language
from mexma_search.encoder.bitext import BitextError, read_bitext
from mexma_search.store import get_document, session_scope
from mexma_search.store.tm_tables import MAX_TM_NAME, SegmentOrigin, TmSegment
from mexma_search.store.translation_memory import (
    NewSegment,
    add_segments,
    clear_segments,
    get_or_create_tm,
    get_tm,
    segments_after,
    tms_by_ids,
)
from mexma_search.tm.memory_index import SegmentText, delete_tm_points, index_segments
from mexma_search.tm.tmx_pairs import tmx_pairs

logger = logging.getLogger(__name__)

# segments stored and indexed per round
INDEX_BATCH = 512


@dataclass(frozen=True)
class TmAdded:
    """What an addition to a translation memory did: its id and name, the pairs stored, and
    those left out (already in it, or with an empty side)."""

    tm_id: int
    name: str
    collection: str
    added: int
    skipped: int


def check_tm_name(name: str) -> str:
    """``name`` without surrounding spaces; ValueError when empty or too long."""
    name = name.strip()
    if not name or len(name) > MAX_TM_NAME:
        raise ValueError(f"a translation memory name has 1 to {MAX_TM_NAME} characters")
    return name


def language_code(code: str | None, what: str) -> str:
    """A pair's language as the index keeps it (``en-US`` -> ``en``); ValueError when missing."""
    lang = normalize_language(code)
    if lang == UNDETERMINED:
        raise ValueError(f"the {what} language is missing: name it (e.g. en)")
    return lang


def usable(pairs: Iterable[NewSegment]) -> Iterator[NewSegment]:
    """The pairs with text on both sides, stripped, their languages normalised."""
    for pair in pairs:
        src, trg = pair.src_text.strip(), pair.trg_text.strip()
        if src and trg:
            yield NewSegment(
                language_code(pair.src_lang, "source"),
                language_code(pair.trg_lang, "target"),
                src,
                trg,
                pair.score,
                pair.note,
            )


def add_pairs(
    runtime: Runtime,
    tm_name: str,
    collection: str,
    pairs: Iterable[NewSegment],
    origin: SegmentOrigin,
    *,
    owner: str | None = None,
    document_id: int | None = None,
) -> TmAdded:
    """Store ``pairs`` in translation memory ``tm_name`` of ``collection`` (both created when
    missing) and index them with the serving model, in one transaction: on an error nothing is
    stored."""
    name = check_tm_name(tm_name)
    pairs = list(pairs)
    kept = list(usable(pairs))
    model = serving_model(runtime)
    with session_scope(runtime.engine) as session:
        memory = get_or_create_tm(session, collection, name, owner=owner, document_id=document_id)
        added = 0
        for start in range(0, len(kept), INDEX_BATCH):
            rows = add_segments(session, memory.id, kept[start : start + INDEX_BATCH], origin)
            _index_rows(runtime, model, rows, collection)
            added += len(rows)
        return TmAdded(memory.id, name, collection, added, len(pairs) - added)


def _index_rows(
    runtime: Runtime, model: ServingModel, rows: Sequence[TmSegment], collection: str
) -> None:
    encoder = model.encoder
    batch_size = runtime.settings.encode_batch_size
    index_segments(
        runtime.index,
        model.version,
        lambda texts: encoder.encode(list(texts), prompt="passage", batch_size=batch_size).vectors,
        [SegmentText.of(row, collection) for row in rows],
    )


def file_pairs(
    path: Path, src_lang: str | None = None, trg_lang: str | None = None
) -> tuple[list[NewSegment], SegmentOrigin]:
    """The pairs of a TMX, TSV, CSV or JSONL bitext file, and the origin they get. A TMX gives
    each unit's source paired with every other language, unless languages are given; languages
    given override a delimited file's. BitextError names the file and line of a problem."""
    is_tmx = [s.lower() for s in path.suffixes if s.lower() != ".gz"][-1:] == [".tmx"]
    if is_tmx and src_lang is None and trg_lang is None:
        return list(tmx_pairs(path)), SegmentOrigin.TMX
    pairs = [
        NewSegment(
            src_lang or pair.src_lang or "",
            trg_lang or pair.trg_lang or "",
            pair.src,
            pair.trg,
            note=pair.ref,
        )
        for pair in read_bitext(path, src_lang=src_lang, trg_lang=trg_lang)
    ]
    return pairs, SegmentOrigin.TMX if is_tmx else SegmentOrigin.IMPORT


def fill_from_document(runtime: Runtime, document_id: int) -> TmAdded | None:
    """Make an uploaded TMX document (also) a translation memory of its collection, named after
    the file; a re-read replaces its segments. None when the file has no unit in two languages
    (it stays a document only)."""
    with session_scope(runtime.engine) as session:
        document = get_document(session, document_id)
        if document is None:
            return None
        path, collection, owner = (
            Path(document.stored_path),
            document.collection.name,
            document.owner,
        )
        name = _document_tm_name(session, collection, document.filename, document_id)
    try:
        pairs = list(tmx_pairs(path))
    except BitextError as exc:
        logger.info("document %s is not a translation memory: %s", document_id, exc.brief)
        return None
    if not pairs:
        return None
    with session_scope(runtime.engine) as session:
        existing = get_tm(session, collection, name)
        if existing is not None:
            clear_segments(session, existing.id)
            delete_tm_points(runtime.index, existing.id)
    return add_pairs(
        runtime, name, collection, pairs, SegmentOrigin.TMX, owner=owner, document_id=document_id
    )


def _document_tm_name(session: Session, collection: str, filename: str, document_id: int) -> str:
    """The name of a TMX document's translation memory: its file name, made unique in the
    collection when another TM has it."""
    existing = get_tm(session, collection, filename)
    if existing is None or existing.document_id == document_id:
        return filename[:MAX_TM_NAME]
    return f"{filename} (#{document_id})"[-MAX_TM_NAME:]


def delete_tms(runtime: Runtime, tm_ids: Iterable[int]) -> None:
    """Remove translation memories' points from the index (their rows go with their
    document or collection)."""
    for tm_id in tm_ids:
        delete_tm_points(runtime.index, tm_id)


def reindex_all(runtime: Runtime, model: ServingModel) -> int:
    """Index every segment with ``model`` (after a promotion); the number of segments."""
    last_id, done = 0, 0
    while True:
        with session_scope(runtime.engine) as session:
            rows = segments_after(session, last_id, INDEX_BATCH)
            if not rows:
                return done
            memories = tms_by_ids(session, {row.tm_id for row in rows})
            for tm_id in {row.tm_id for row in rows}:
                group = [row for row in rows if row.tm_id == tm_id]
                _index_rows(runtime, model, group, memories[tm_id].collection.name)
        last_id, done = rows[-1].id, done + len(rows)
