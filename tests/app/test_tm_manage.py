"""Renaming and deleting translation memories (tiny model; matches come from the keyword leg):
who may, the refusals, and that the other memories stay searchable."""

from __future__ import annotations

import pytest

from mexma_search.app.access import Caller, Role
from mexma_search.app.services import Services
from mexma_search.app.tm_manage import UnknownTmError
from mexma_search.store import NewSegment

BAKERY = [NewSegment("en", "es", "The bakery opens at six.", "La panadería abre a las seis.")]
RIVER = [NewSegment("en", "es", "The river flows through town.", "El río atraviesa la ciudad.")]
BRIDGE = [NewSegment("en", "fr", "The bridge is closed.", "Le pont est fermé.")]


def _editor(name: str, *collections: str) -> Caller:
    return Caller(name, Role.EDITOR, frozenset(collections), frozenset(collections))


def test_deleting_one_memory_leaves_the_others_searchable(services: Services) -> None:
    services.add_pairs_to_tm(None, "shop", "docs", BAKERY, "import")
    services.add_pairs_to_tm(None, "city", "docs", RIVER, "import")
    services.add_pairs_to_tm(None, "roads", "other", BRIDGE, "import")
    deleted = services.delete_tm(None, "shop")
    assert (deleted.collection, deleted.name, deleted.new_name, deleted.segments) == (
        "docs",
        "shop",
        None,
        1,
    )
    assert [m.name for m in services.list_tms()] == ["city", "roads"]
    # its pairs are gone from the store and its vectors from the index
    assert all(hit.tm != "shop" for hit in services.concordance(None, "panadería", limit=10))
    assert not any(
        "panadería" in hit.trg_text for hit in services.concordance(None, "bakery", limit=10)
    )
    assert services.concordance(None, "river")[0].trg_text == "El río atraviesa la ciudad."
    assert services.concordance(None, "bridge", tm="roads")[0].trg_text == "Le pont est fermé."
    with pytest.raises(UnknownTmError, match="no translation memory named 'shop'"):
        services.delete_tm(None, "shop")


def test_deleting_removes_the_memory_vectors_from_the_index(services: Services) -> None:
    services.add_pairs_to_tm(None, "city", "docs", RIVER, "import")
    services.add_pairs_to_tm(None, "shop", "docs", BAKERY + BRIDGE, "import")
    index = services.runtime.index
    [collection] = index.tm_collections()
    assert index.count(collection) == 6  # both sides of each pair
    services.delete_tm(None, "shop")
    assert index.count(collection) == 2


def test_renaming_keeps_the_pairs_and_refuses_bad_names(services: Services) -> None:
    services.add_pairs_to_tm(None, "shop", "docs", BAKERY, "import")
    services.add_pairs_to_tm(None, "city", "docs", RIVER, "import")
    renamed = services.rename_tm(None, "shop", " bakery ")
    assert (renamed.name, renamed.new_name, renamed.segments) == ("shop", "bakery", 1)
    assert [h.tm for h in services.concordance(None, "panadería", tm="bakery")] == ["bakery"]
    with pytest.raises(ValueError, match="no translation memory named 'shop'"):
        services.concordance(None, "panadería", tm="shop")
    with pytest.raises(ValueError, match="already has a translation memory named 'city'"):
        services.rename_tm(None, "bakery", "city")
    with pytest.raises(ValueError, match="1 to 200 characters"):
        services.rename_tm(None, "bakery", "   ")
    with pytest.raises(ValueError, match="already called"):
        services.rename_tm(None, "bakery", "bakery")
    with pytest.raises(UnknownTmError, match="no translation memory named 'nope'"):
        services.rename_tm(None, "nope", "other")


def test_a_name_in_several_collections_needs_the_collection(services: Services) -> None:
    services.add_pairs_to_tm(None, "shared", "a", BAKERY, "import")
    services.add_pairs_to_tm(None, "shared", "b", RIVER, "import")
    with pytest.raises(ValueError, match=r"several collections \(a, b\)"):
        services.delete_tm(None, "shared")
    assert services.delete_tm(None, "shared", collection="b").collection == "b"
    assert [(m.collection, m.name) for m in services.list_tms()] == [("a", "shared")]


def test_owners_and_admins_may_change_a_memory_others_may_not(services: Services) -> None:
    eva, ed = _editor("eva", "team"), _editor("ed", "team")
    reader = Caller("rui", Role.READER, frozenset({"team"}), frozenset())
    admin = Caller("ada", Role.ADMIN)
    services.add_pairs_to_tm(eva, "eva-tm", "team", BAKERY, "import")
    services.add_pairs_to_tm(ed, "ed-tm", "team", RIVER, "import")
    assert [m.name for m in services.manageable_tms(eva)] == ["eva-tm"]
    assert services.manageable_tms(reader) == []
    assert [m.name for m in services.manageable_tms(admin)] == ["ed-tm", "eva-tm"]
    with pytest.raises(PermissionError, match="ed may not change translation memory team/eva"):
        services.delete_tm(ed, "eva-tm")
    with pytest.raises(PermissionError):
        services.rename_tm(reader, "eva-tm", "mine")
    # a memory in a collection the caller may not read is unknown to it
    with pytest.raises(UnknownTmError):
        services.delete_tm(_editor("out", "elsewhere"), "eva-tm")
    assert services.rename_tm(eva, "eva-tm", "eva-2").new_name == "eva-2"
    assert services.delete_tm(admin, "ed-tm").segments == 1
    assert [m.name for m in services.list_tms()] == ["eva-2"]
