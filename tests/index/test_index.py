"""The vector index facade: the same requests through every engine give the same answers.

Engines: Qdrant Edge (embedded mode) in a temporary and in a named directory, and
qdrant-client's local mode, which stands in for a Qdrant server (no server can be installed
here): the server path runs the same qdrant-client calls.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from mexma_search.index import (
    LIVE_ALIAS,
    ChunkPoint,
    Hit,
    VectorIndex,
    collection_name,
    model_version_of,
    open_index,
    point_id,
)
from mexma_search.index.keywords import KeywordQuery

# qdrant-client checks a server's version in a background thread, which warns (during whichever
# test then runs) when no server answers
pytestmark = pytest.mark.filterwarnings("ignore:Failed to obtain server version:UserWarning")

DIM = 8
V1 = collection_name("v1")
V2 = collection_name("v2")
LANGS = ("en", "es", "fr")


def _points(n_documents: int = 4, per_document: int = 6, seed: int = 0) -> list[ChunkPoint]:
    rng = np.random.default_rng(seed)
    points = []
    for document_id in range(1, n_documents + 1):
        for ordinal in range(per_document):
            points.append(
                ChunkPoint(
                    chunk_id=document_id * 100 + ordinal,
                    document_id=document_id,
                    ordinal=ordinal,
                    collection="news" if document_id % 2 else "papers",
                    lang=LANGS[ordinal % len(LANGS)],
                    vector=rng.standard_normal(DIM).astype(np.float32),
                )
            )
    return points


BACKENDS = ("edge-temporary", "edge-directory", "qdrant-local")


def _open(backend: str, tmp_path: Path) -> VectorIndex:
    if backend == "qdrant-local":
        return open_index(":memory:", engine="qdrant-local")
    return open_index(":memory:" if backend == "edge-temporary" else str(tmp_path / "q"))


def _live_index(index: VectorIndex, points: list[ChunkPoint]) -> VectorIndex:
    index.ensure_collection(V1, DIM)
    index.upsert(V1, points, batch_size=7)
    index.swap_alias(LIVE_ALIAS, V1)
    return index


@pytest.fixture(params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorIndex]:
    """An index on each engine, closed afterwards."""
    index = _open(request.param, tmp_path)
    yield index
    index.close()


def _ids(hits: list[Hit]) -> list[int]:
    return [hit.chunk_id for hit in hits]


QUERIES: list[dict[str, object]] = [
    {},
    {"lang": "es"},
    {"lang": ["en", "fr"]},
    {"collection": "papers"},
    {"document_id": 3},
    {"document_id": [1, 2], "lang": "en"},
]


@pytest.mark.parametrize("exact", [True, False])
def test_every_engine_answers_the_same(tmp_path: Path, exact: bool) -> None:
    # below the build threshold no graph exists: approximate search is exact too
    points = _points()
    queries = np.random.default_rng(1).standard_normal((5, DIM))
    results = []
    for backend in BACKENDS:
        index = _live_index(_open(backend, tmp_path), points)
        results.append(
            [index.search(q, 5, exact=exact, **filters) for q in queries for filters in QUERIES]  # type: ignore[arg-type]
        )
        index.close()
    first, *others = results
    assert all(len(hits) == 5 for hits in first[:3])
    for other in others:
        assert [_ids(hits) for hits in other] == [_ids(hits) for hits in first]
        for a, b in zip(first, other, strict=True):
            assert [h.score for h in a] == pytest.approx([h.score for h in b], abs=1e-5)


def test_the_nearest_chunk_to_its_own_vector_is_itself(index: VectorIndex) -> None:
    points = _points()
    _live_index(index, points)
    target = points[7]
    [hit] = index.search(target.vector, 1)
    assert (hit.chunk_id, hit.document_id) == (target.chunk_id, target.document_id)
    assert hit.score == pytest.approx(1.0, abs=1e-5)
    assert hit.payload == {
        "chunk_id": target.chunk_id,
        "document_id": target.document_id,
        "ordinal": target.ordinal,
        "collection": target.collection,
        "lang": target.lang,
    }


@pytest.mark.parametrize("filters", QUERIES[1:])
def test_filters_keep_only_matching_chunks(index: VectorIndex, filters: dict[str, object]) -> None:
    points = _points()
    _live_index(index, points)
    hits = index.search(np.ones(DIM), 100, **filters)  # type: ignore[arg-type]

    def wanted(point: ChunkPoint) -> bool:
        for key, value in filters.items():
            allowed = value if isinstance(value, list) else [value]
            if getattr(point, key) not in allowed:
                return False
        return True

    assert sorted(_ids(hits)) == sorted(p.chunk_id for p in points if wanted(p))
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def _brute_force(
    points: list[ChunkPoint], query: np.ndarray, k: int, **filters: object
) -> list[int]:
    """The ids of the ``k`` chunks of highest cosine among those matching ``filters``."""

    def cosine(point: ChunkPoint) -> float:
        vector = np.asarray(point.vector)
        return float(vector @ query / np.linalg.norm(vector) / np.linalg.norm(query))

    matching = [
        point
        for point in points
        if all(
            getattr(point, key) in (value if isinstance(value, list) else [value])
            for key, value in filters.items()
        )
    ]
    return [point.chunk_id for point in sorted(matching, key=cosine, reverse=True)[:k]]


def test_filtered_search_equals_the_exact_filtered_ranking(index: VectorIndex) -> None:
    points = _points(n_documents=6, per_document=9)
    _live_index(index, points)
    for seed in range(4):
        query = np.random.default_rng(seed + 10).standard_normal(DIM)
        for k in (1, 3, 8):
            for filters in QUERIES:
                hits = index.search(query, k, with_sentence_vectors=True, **filters)  # type: ignore[arg-type]
                assert _ids(hits) == _brute_force(points, query, k, **filters), (k, filters)
                assert all(hit.payload["chunk_id"] == hit.chunk_id for hit in hits)


def test_upserting_the_same_chunks_again_replaces_them(index: VectorIndex) -> None:
    points = _points()
    _live_index(index, points)
    index.upsert(V1, points, batch_size=100)
    assert index.count(V1) == len(points)
    assert index.count(LIVE_ALIAS) == len(points)


def test_point_ids_are_uuids_fixed_by_document_ordinal_and_model_version() -> None:
    first = point_id(7, 3, "v1")
    assert uuid.UUID(first).version == 5
    assert first == point_id(7, 3, "v1")
    assert len({first, point_id(7, 4, "v1"), point_id(8, 3, "v1"), point_id(7, 3, "v2")}) == 4


def test_collection_names_follow_the_model_version() -> None:
    assert model_version_of(collection_name("e5-small.v2")) == "e5-small.v2"
    with pytest.raises(ValueError, match="model version"):
        collection_name("bad/name")
    with pytest.raises(ValueError, match="not a chunk collection"):
        model_version_of("other")


def test_delete_document_removes_it_from_every_collection(index: VectorIndex) -> None:
    points = _points()
    for name in (V1, V2):
        index.ensure_collection(name, DIM)
        index.upsert(name, points)
    index.delete_document(2)
    for name in (V1, V2):
        hits = index.search(np.ones(DIM), 100, target=name)
        assert len(hits) == len(points) - 6
        assert 2 not in {hit.document_id for hit in hits}


def test_swapping_the_alias_switches_the_searched_collection(index: VectorIndex) -> None:
    old, new = _points(seed=0), _points(n_documents=2, seed=5)
    _live_index(index, old)
    index.ensure_collection(V2, DIM)
    index.upsert(V2, new)
    query = new[0].vector
    assert index.alias_target() == V1
    assert index.search(query, 1)[0].score < 0.999
    index.swap_alias(LIVE_ALIAS, V2)
    assert index.alias_target() == V2
    assert index.count(LIVE_ALIAS) == len(new)
    assert index.search(query, 1)[0].chunk_id == new[0].chunk_id
    assert index.drop_collection(V1)
    assert not index.drop_collection(V1)
    assert index.chunk_collections() == [V2]


@pytest.mark.parametrize("engine", ["edge", "qdrant-local"])
def test_a_directory_index_keeps_points_and_alias_after_reopening(
    tmp_path: Path, engine: str
) -> None:
    points = _points()
    location = str(tmp_path / "q")
    _live_index(open_index(location, engine=engine), points).close()  # type: ignore[arg-type]
    reopened = open_index(location, engine=engine)  # type: ignore[arg-type]
    assert reopened.alias_target() == V1
    assert reopened.count(LIVE_ALIAS) == len(points)
    reopened.close()


def test_ensure_collection_creates_once_and_checks_the_dimension(index: VectorIndex) -> None:
    assert index.ensure_collection(V1, DIM)
    assert not index.ensure_collection(V1, DIM)
    with pytest.raises(ValueError, match="8-d"):
        index.ensure_collection(V1, DIM * 2)
    with pytest.raises(ValueError, match="not a chunk collection"):
        index.ensure_collection("misc", DIM)


@pytest.mark.parametrize("backend", ["edge-temporary", "qdrant-local"])
def test_concurrent_writes_and_searches(backend: str) -> None:
    # Without the facade's lock, local mode's arrays grow and shrink under a running search
    # (IndexError / broadcast errors within a few iterations).
    index = _open(backend, Path())
    _live_index(index, _points(n_documents=40, per_document=20))
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        for i in range(10):
            first = 1000 + 100 * worker + 5 * i
            batch = _points(n_documents=5, per_document=20, seed=i)
            index.upsert(V1, [replace(p, document_id=p.document_id + first) for p in batch])
            index.delete_document(first + 1)

    def read(_: int) -> None:
        for i in range(10):
            index.search(np.full(DIM, i + 1.0), 10, lang=["en", "es"])
            index.count(V1)

    def run(work: Callable[[int], None], worker: int) -> None:
        try:
            work(worker)
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=run, args=(work, n))
        for n, work in enumerate((write, read, write, read))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert index.count(V1) == 40 * 20 + 2 * 10 * 4 * 20
    index.close()


@pytest.mark.filterwarnings("ignore:Api key is used:UserWarning")
def test_a_server_url_opens_a_remote_client() -> None:
    # nothing listens on port 9: construction only warns, the first request fails
    index = open_index("http://127.0.0.1:9", api_key="secret", shards=2, replicas=2)
    with pytest.raises(Exception, match=r"(?i)connect|refused"):
        index.count(V1)
    index.close()


def test_an_api_key_for_local_storage_is_refused() -> None:
    with pytest.raises(ValueError, match="server"):
        open_index(":memory:", api_key="secret")


def test_sentence_vectors_are_stored_and_read_back_with_hits(index: VectorIndex) -> None:
    rng = np.random.default_rng(3)
    sentences = rng.standard_normal((3, DIM)).astype(np.float32)
    with_sentences = ChunkPoint(1, 1, 0, "news", "en", sentences.mean(axis=0), sentences)
    without = ChunkPoint(2, 1, 1, "news", "en", rng.standard_normal(DIM).astype(np.float32))
    _live_index(index, [with_sentences, without])
    hits = {h.chunk_id: h for h in index.search(sentences[0], 2, with_sentence_vectors=True)}
    stored = hits[1].sentence_vectors
    assert stored is not None and stored.shape == (3, DIM)
    # cosine collections keep unit vectors (float16 on disk)
    unit = sentences / np.linalg.norm(sentences, axis=1, keepdims=True)
    np.testing.assert_allclose(stored, unit, atol=2e-3)
    assert hits[2].sentence_vectors is None
    assert all(h.sentence_vectors is None for h in index.search(sentences[0], 2))


TEXTS = [
    "The river flows under the old stone bridge",
    "Quality management follows ISO 9001 in every plant",
    "El río pasa bajo el puente de piedra",
    "Le fleuve coule sous le vieux pont",
    "Building permits are granted under PBL 9 kap",
    "Bread is baked every morning in the village",
]


def _texts_points() -> list[ChunkPoint]:
    rng = np.random.default_rng(7)
    return [
        ChunkPoint(
            chunk_id=i,
            document_id=i,
            ordinal=0,
            collection="news",
            lang=("en", "en", "es", "fr", "en", "en")[i],
            vector=rng.standard_normal(DIM),
            text=text,
        )
        for i, text in enumerate(TEXTS)
    ]


@pytest.mark.parametrize("query", ["ISO 9001", "PBL 9 kap", "puente de piedra"])
def test_hybrid_search_ranks_exact_terms_first_on_every_engine(
    index: VectorIndex, query: str
) -> None:
    points = _texts_points()
    _live_index(index, points)
    expected = next(p for p in points if query.lower() in p.text.lower())
    vector = np.random.default_rng(99).standard_normal(DIM)  # a dense vector unrelated to it
    lang = "es" if "puente" in query else "en"
    hits = index.search(vector, 3, keywords=KeywordQuery(query, lang))
    assert hits[0].chunk_id == expected.chunk_id
    cosine = float(np.dot(_unit(vector), _unit(expected.vector)))
    assert hits[0].score == pytest.approx(cosine, abs=1e-4)  # scores stay cosines


@pytest.mark.parametrize("query", ["piedra", "puente piedra", "ISO 9001"])
def test_a_query_of_unknown_language_meets_passages_stemmed_in_theirs(
    index: VectorIndex, query: str
) -> None:
    points = _texts_points()
    _live_index(index, points)
    expected = 1 if "ISO" in query else 2
    vector = np.random.default_rng(99).standard_normal(DIM)
    assert index.search(vector, 3, keywords=KeywordQuery(query, None))[0].chunk_id == expected


def test_hybrid_search_keeps_dense_results_the_keywords_miss(index: VectorIndex) -> None:
    points = _texts_points()
    _live_index(index, points)
    target = points[5]  # no word of the query below
    hits = index.search(target.vector, 6, keywords=KeywordQuery("ISO 9001", "en"))
    assert target.chunk_id in _ids(hits)
    assert len(hits) == 6
    filtered = index.search(target.vector, 6, lang="fr", keywords=KeywordQuery("ISO 9001", "en"))
    assert _ids(filtered) == [3]  # filters apply to every leg


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector)


def test_points_stored_without_keywords_are_listed_apart(index: VectorIndex) -> None:
    points = _points(n_documents=2, per_document=3)
    with_text = [replace(p, text=f"passage {p.chunk_id}") for p in points if p.document_id == 1]
    without = [p for p in points if p.document_id == 2]
    _live_index(index, with_text + without)
    assert index.chunk_ids_by_document(V1, without_keywords=True) == {
        2: {p.chunk_id for p in without}
    }
    index.upsert(V1, [replace(p, text="again") for p in without])
    assert index.chunk_ids_by_document(V1, without_keywords=True) == {}
    assert set(index.chunk_ids_by_document(V1)) == {1, 2}
