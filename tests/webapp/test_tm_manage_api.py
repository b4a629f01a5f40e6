"""``POST /api/tm`` (a TMX/TSV/CSV upload into a named memory), ``PATCH`` and ``DELETE
/api/tm/{name}`` of a launched app (tiny model, uploads limited to 1 MB): the refusals name the
problem as ``mexma-search tm import`` does, and only admins and owners change a memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

BITEXT = Path(__file__).resolve().parents[1] / "fixtures" / "bitext"


def _client(app: Any, user: str, scope: str) -> httpx.Client:
    token = app.services.tokens.create(f"{user}'s {scope}", user, scope).secret
    return httpx.Client(
        base_url=f"{app.url.rstrip('/')}/api",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def _upload(client: httpx.Client, path: Path, **form: str) -> httpx.Response:
    files = {"file": (path.name, path.read_bytes())}
    return client.post("/tm", files=files, data=form)


def _message(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    return str(response.json()["error"]["message"])


def test_files_are_uploaded_into_a_named_memory(tiny_app: Any) -> None:
    with _client(tiny_app, "admin", "write") as admin:
        added = _upload(admin, BITEXT / "sample.tmx", name="up", collection="api")
        assert added.status_code == 201, added.text
        assert {k: added.json()[k] for k in ("name", "collection", "added", "skipped")} == {
            "name": "up",
            "collection": "api",
            "added": 5,
            "skipped": 0,
        }
        # the same pairs from a CSV are already in it; a TSV goes to a second memory
        again = _upload(admin, BITEXT / "sample.csv", name="up", collection="api").json()
        assert (again["added"], again["skipped"]) == (0, 5)
        tsv = _upload(admin, BITEXT / "sample.tsv", name="tsv", collection="api").json()
        assert tsv["added"] == 5
        hits = admin.get("/tm/search", params={"q": "queso", "tm": "tsv"}).json()["results"]
        assert hits[0]["trg_text"] == "Pan, queso y vino."
        # the words linked to the found ones come as spans too (the tiny model's links mean
        # nothing: only their shape is checked here)
        assert all(0 <= s < e <= len(hits[0]["src_text"]) for s, e in hits[0]["src_aligned"])


def test_uploads_are_refused_as_the_cli_refuses_them(tiny_app: Any, tmp_path: Path) -> None:
    no_languages = tmp_path / "pairs.tsv"
    no_languages.write_text("one\tuno\n", encoding="utf-8")
    with pytest.raises(ValueError) as cli_error:
        tiny_app.services.import_tm_file(None, no_languages, "n", "api")
    unknown = tmp_path / "pairs.docx"
    unknown.write_bytes(b"not a bitext")
    big = tmp_path / "big.tsv"
    big.write_bytes(b"en\tes\n" + b"word\tpalabra\n" * (tiny_app.settings.max_upload_mb << 17))
    with _client(tiny_app, "admin", "write") as admin, _client(tiny_app, "admin", "read") as ro:
        assert _message(_upload(admin, no_languages, name="n"), 422) == str(cli_error.value)
        assert "pairs.docx" in _message(_upload(admin, unknown, name="n"), 422)
        assert "upload limit (1 MB)" in _message(_upload(admin, big, name="n"), 413)
        assert "1 to 200 characters" in _message(
            _upload(admin, BITEXT / "sample.tsv", name="  "), 422
        )
        assert _upload(ro, BITEXT / "sample.tsv", name="n").status_code == 403
        assert "body.file: Field required" in _message(admin.post("/tm", data={"name": "n"}), 422)
        assert all(m["name"] != "n" for m in admin.get("/tm").json())


def test_rename_and_delete_with_the_owner_rules(tiny_app: Any) -> None:
    accounts = tiny_app.services.accounts
    for user in ("eve", "eli"):
        accounts.add_user(user, f"pw-of-{user}", "editor")
        accounts.grant("team", user=user, level="write")
    with _client(tiny_app, "eve", "write") as eve, _client(tiny_app, "eli", "write") as eli:
        assert _upload(eve, BITEXT / "sample.tsv", name="eve-tm", collection="team").is_success
        assert "eli may not change" in _message(eli.delete("/tm/eve-tm"), 403)
        renamed = eve.patch("/tm/eve-tm", json={"name": "eve/2"})
        assert renamed.json() == {
            "collection": "team",
            "name": "eve-tm",
            "new_name": "eve/2",
            "segments": 5,
        }
        assert "no translation memory named 'eve-tm'" in _message(eve.delete("/tm/eve-tm"), 404)
        assert _message(eve.patch("/tm/eve/2", json={"name": ""}), 422)
        deleted = eve.delete("/tm/eve/2", params={"collection": "team"})
        assert deleted.status_code == 200 and deleted.json()["segments"] == 5
        assert [m["name"] for m in eve.get("/tm").json() if m["collection"] == "team"] == []
