"""``mexma-search users`` and ``mexma-search access``: accounts, roles, groups and grants from
the command line (the database only: no model, no index)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from mexma_search.app.settings import get_settings
from mexma_search.cli import main
from mexma_search.cli.users import accounts

PASSWORD = "a long password"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("MEXMA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEXMA_ADMIN_PASSWORD", "admin password")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _run(cli: CliRunner, *args: str, given: str | None = None) -> str:
    result = cli.invoke(main, list(args), input=given)
    assert result.exit_code == 0, result.output
    return result.stdout


def _fails(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(main, list(args))
    assert result.exit_code != 0
    return result.output


def test_users_are_added_listed_changed_and_removed(cli: CliRunner) -> None:
    _run(cli, "users", "add", "rita", "--password", PASSWORD)
    # asked twice, hidden, when not given
    _run(cli, "users", "add", "ed", "--role", "editor", given=f"{PASSWORD}\n{PASSWORD}\n")
    listed = json.loads(_run(cli, "users", "list", "--json"))
    assert [(u["name"], u["role"]) for u in listed] == [
        ("admin", "admin"),
        ("ed", "editor"),
        ("rita", "reader"),
    ]
    _run(cli, "users", "set-role", "rita", "admin")
    _run(cli, "users", "set-password", "ed", "--password", "another password")
    with accounts() as found:
        assert found.authenticate("ed", "another password") == "ed"
        assert found.caller_for_user("rita") is not None
    assert "rita" in _run(cli, "users", "remove", "rita")
    assert "no user named 'rita'" in _fails(cli, "users", "remove", "rita")
    assert "no user named 'ghost'" in _fails(cli, "users", "set-role", "ghost", "reader")
    assert "at least 8" in _fails(cli, "users", "add", "sam", "--password", "short")
    assert "exists already" in _fails(cli, "users", "add", "ed", "--password", PASSWORD)
    assert "'owner' is not one of" in _fails(cli, "users", "set-role", "ed", "owner")


def test_groups_grants_and_public_collections(cli: CliRunner) -> None:
    _run(cli, "users", "add", "rita", "--password", PASSWORD)
    _run(cli, "access", "group-add", "legal")
    _run(cli, "access", "member", "legal", "rita")
    _run(cli, "access", "grant", "contracts", "--group", "legal")
    _run(cli, "access", "grant", "drafts", "--user", "rita", "--level", "write")
    _run(cli, "access", "public", "handbook")
    listed = json.loads(_run(cli, "access", "list", "--json"))
    assert listed == {
        "grants": [
            {"collection": "contracts", "principal": "group:legal", "write": False},
            {"collection": "drafts", "principal": "user:rita", "write": True},
        ],
        "public": ["handbook"],
        "groups": {"legal": ["rita"]},
    }
    with accounts() as found:
        rita = found.caller_for_user("rita")
    assert rita is not None and rita.readable == {"contracts", "drafts", "handbook"}
    _run(cli, "access", "grant", "drafts", "--user", "rita", "--level", "none")
    _run(cli, "access", "member", "legal", "rita", "--remove")
    _run(cli, "access", "public", "handbook", "--off")
    with accounts() as found:
        rita = found.caller_for_user("rita")
    assert rita is not None and rita.readable == frozenset()
    assert "no group named 'ghosts'" in _fails(cli, "access", "grant", "c", "--group", "ghosts")
    assert "one user or one group" in _fails(cli, "access", "grant", "c")
