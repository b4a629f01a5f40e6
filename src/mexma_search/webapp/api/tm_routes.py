"""``/api/tm``: the translation memories (list, upload a file into one, rename, delete), and
concordance search over them."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import BaseModel, Field

from mexma_search.app.concordance import ConcordanceHit
from mexma_search.app.search import MAX_K
from mexma_search.app.service_base import DEFAULT_COLLECTION
from mexma_search.app.tm_manage import TmChanged, UnknownTmError
from mexma_search.app.translation_memories import TmAdded
from mexma_search.store import TmSummary
from mexma_search.webapp.api.auth import Reader, ServicesDep, Writer
from mexma_search.webapp.api.errors import ApiError
from mexma_search.webapp.api.files import receive_upload

router = APIRouter(tags=["translation memory"])
InCollection = Annotated[
    str | None, Query(description="its collection, when several have that name")
]


class ConcordancePage(BaseModel):
    """The segments matching ``query``, best first."""

    query: str
    results: list[ConcordanceHit]


@router.get("/tm", response_model=list[TmSummary], summary="List translation memories")
def list_tms(services: ServicesDep, caller: Reader) -> list[TmSummary]:
    """The translation memories of the collections the token's owner may read, with their
    size and language pairs."""
    return services.list_tms(caller=caller)


class NewName(BaseModel):
    """A translation memory's new name."""

    name: str = Field(description="1 to 200 characters, not taken in its collection")


@router.post("/tm", response_model=TmAdded, status_code=201, summary="Upload a TMX/TSV/CSV file")
def upload_tm(
    services: ServicesDep,
    caller: Writer,
    file: Annotated[UploadFile, File(description="a .tmx, .tsv, .csv or .jsonl file of pairs")],
    name: Annotated[str, Form(description="the translation memory (created if new)")],
    collection: Annotated[str, Form(description="its collection")] = DEFAULT_COLLECTION,
    src_lang: Annotated[
        str | None, Form(description="source language (default: the file's)")
    ] = None,
    trg_lang: Annotated[
        str | None, Form(description="target language (default: the file's)")
    ] = None,
) -> TmAdded:
    """Add the pairs of ``file`` to translation memory ``name`` of ``collection``, as
    ``mexma-search tm import`` does: pairs already in it or with an empty side are skipped; a
    file that cannot be read is refused (422) with its line and problem, one over the upload
    limit with 413."""
    limit = services.settings.max_upload_mb << 20
    with tempfile.TemporaryDirectory(prefix="mexma-api-") as scratch:
        path = receive_upload(file, Path(scratch) / "tm", limit)
        return services.import_tm_file(
            caller, path, name, collection, src_lang=src_lang or None, trg_lang=trg_lang or None
        )


@router.patch("/tm/{name:path}", response_model=TmChanged, summary="Rename a translation memory")
def rename_tm(
    name: str,
    new: NewName,
    services: ServicesDep,
    caller: Writer,
    collection: InCollection = None,
) -> TmChanged:
    """Rename a translation memory (admins, or the editor who created it); 404 for an unknown
    name, 422 for an invalid or taken new name."""
    return _known(lambda: services.rename_tm(caller, name, new.name, collection=collection))


@router.delete("/tm/{name:path}", response_model=TmChanged, summary="Delete a translation memory")
def delete_tm(
    name: str,
    services: ServicesDep,
    caller: Writer,
    collection: InCollection = None,
) -> TmChanged:
    """Delete a translation memory, its pairs and their vectors (admins, or the editor who
    created it); 404 for an unknown name."""
    return _known(lambda: services.delete_tm(caller, name, collection=collection))


def _known(change: Callable[[], TmChanged]) -> TmChanged:
    """``change()``; a 404 when it names no memory the caller may read."""
    try:
        return change()
    except UnknownTmError as exc:
        raise ApiError(404, str(exc)) from None


@router.get(
    "/tm/search", response_model=ConcordancePage, summary="Concordance: how was this translated?"
)
def search_tm(
    services: ServicesDep,
    caller: Reader,
    q: Annotated[str, Query(description="words or a sentence, in any language")],
    limit: Annotated[int, Query(ge=1, le=MAX_K, description="segments wanted")] = 10,
    pair: Annotated[
        str | None, Query(description="only this language pair, either direction (en-es)")
    ] = None,
    tm: Annotated[str | None, Query(description="only the translation memory of this name")] = None,
) -> ConcordancePage:
    """Translation memory segments whose source or target matches ``q`` by meaning or by its
    words, each with both sides, the side that matched, and the character spans of the query's
    words on each side."""
    found = services.concordance(caller, q, language_pair=pair, tm=tm, limit=limit)
    return ConcordancePage(query=q, results=found)
