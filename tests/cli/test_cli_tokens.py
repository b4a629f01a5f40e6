"""``mexma-search tokens``: create (shown once), list (never the token), revoke; and what a
token made this way is allowed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from mexma_search.app.access import Role
from mexma_search.app.api_tokens import TokenRefusedError, caller_for_token, database_tokens
from mexma_search.app.settings import Settings, get_settings
from mexma_search.app.users import Accounts
from mexma_search.cli import main
from mexma_search.store import make_engine


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("MEXMA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEXMA_ADMIN_USERNAME", "boss")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _create(cli: CliRunner, *options: str) -> dict[str, object]:
    result = cli.invoke(main, ["tokens", "create", *options, "--json"])
    assert result.exit_code == 0, result.output
    created: dict[str, object] = json.loads(result.stdout)
    return created


def test_tokens_are_created_listed_and_revoked(cli: CliRunner) -> None:
    reader = _create(cli, "laptop")  # for the first admin, made by the command
    added = cli.invoke(main, ["users", "add", "ana", "--role", "editor", "--password", "pw-of-ana"])
    assert added.exit_code == 0, added.output
    writer = _create(cli, "uploader", "--scope", "write", "--user", "ana", "--expires-days", "30")
    assert reader["scope"] == "read" and reader["user_name"] == "boss"
    assert reader["expires_at"] is None and writer["expires_at"] is not None
    secret = str(writer["token"])
    assert secret.startswith("mxs_") and len(secret) > 40

    listed = cli.invoke(main, ["tokens", "list", "--json"])
    assert listed.exit_code == 0
    assert secret not in listed.output and str(reader["token"]) not in listed.output
    rows = json.loads(listed.stdout)
    assert [(r["name"], r["state"]) for r in rows] == [("uploader", "active"), ("laptop", "active")]
    assert rows[0]["prefix"] == secret[:12]

    with database_tokens(get_settings()) as tokens:
        accounts = Accounts(make_engine(str(get_settings().database_url)), get_settings())
        caller = caller_for_token(tokens.authenticate(secret), accounts.caller_for_user)
        assert (caller.name, caller.role, caller.writable) == ("ana", Role.EDITOR, frozenset())
        admin_read = caller_for_token(
            tokens.authenticate(str(reader["token"])), accounts.caller_for_user
        )
        assert (admin_read.name, admin_read.role, admin_read.readable) == (
            "boss",
            Role.READER,
            None,
        )

    revoked = cli.invoke(main, ["tokens", "revoke", str(writer["id"])])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    again = cli.invoke(main, ["tokens", "revoke", str(writer["id"])])
    assert again.exit_code != 0 and "no active token" in again.output
    with (
        database_tokens(get_settings()) as tokens,
        pytest.raises(TokenRefusedError, match="revoked"),
    ):
        tokens.authenticate(secret)
    human = cli.invoke(main, ["tokens", "list"])
    assert "revoked" in human.output and "uploader" in human.output


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["x", "--scope", "root"], "root"),
        (["x", "--expires-days", "0"], "expires-days"),
        (["   "], "token name has 1 to 200 characters"),
        (["x", "--user", ""], "user name has 1 to 200 characters"),
        (["x", "--user", "nobody"], "there is no user 'nobody'"),
    ],
)
def test_bad_token_options_are_refused_and_store_nothing(
    cli: CliRunner, options: list[str], message: str
) -> None:
    result = cli.invoke(main, ["tokens", "create", *options])
    assert result.exit_code != 0 and message in result.output
    with database_tokens(Settings()) as tokens:
        assert tokens.list_tokens() == []
