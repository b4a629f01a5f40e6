"""``/api/tm`` and ``/api/tm/search`` of a launched app (tiny model): listing, concordance with
filters, bad input, and a token whose user may read none of the memories."""

from __future__ import annotations

from typing import Any

import httpx

from mexma_search.store import NewSegment

PAIRS = [
    NewSegment("en", "es", "The bakery opens at six.", "La panadería abre a las seis."),
    NewSegment("en", "fr", "The bakery sells bread.", "La boulangerie vend du pain."),
]


def _client(app: Any, user: str) -> httpx.Client:
    token = app.services.tokens.create(f"{user}'s", user, "read").secret
    return httpx.Client(
        base_url=f"{app.url.rstrip('/')}/api",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def test_memories_are_listed_and_searched(tiny_app: Any) -> None:
    tiny_app.services.add_pairs_to_tm(None, "shop", "tm-api", PAIRS, "mined")
    tiny_app.services.accounts.add_user("tessa", "pw-of-tessa", "reader")  # no grant
    with _client(tiny_app, "admin") as admin, _client(tiny_app, "tessa") as tessa:
        listed = admin.get("/tm").json()
        [shop] = listed
        assert (shop["name"], shop["collection"], shop["segments"]) == ("shop", "tm-api", 2)
        assert shop["pairs"] == ["en-es", "en-fr"]
        page = admin.get("/tm/search", params={"q": "panadería", "limit": 5}).json()
        assert page["query"] == "panadería"
        best = page["results"][0]
        assert best["trg_text"] == "La panadería abre a las seis."
        assert best["matched_side"] == "trg" and best["trg_spans"] == [[3, 12]]
        french = admin.get("/tm/search", params={"q": "bakery", "pair": "fr-en", "tm": "shop"})
        assert [r["trg_lang"] for r in french.json()["results"]] == ["fr"]
        bad = admin.get("/tm/search", params={"q": "bakery", "pair": "french"})
        assert bad.status_code == 422 and "language pair" in bad.json()["error"]["message"]
        assert admin.get("/tm/search", params={"q": "x", "limit": 0}).status_code == 422
        assert tessa.get("/tm").json() == []
        assert tessa.get("/tm/search", params={"q": "panadería"}).json()["results"] == []
