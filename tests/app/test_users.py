"""Accounts: the first admin, logins, roles, groups, grants, and the caller each user gets."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mexma_search.app.access import ANONYMOUS_NAME, Caller, Role
from mexma_search.app.passwords import hash_password, verify_password
from mexma_search.app.runtime import Runtime
from mexma_search.app.settings import Settings
from mexma_search.app.users import LEGACY_PASSWORD_FILE, Accounts

PASSWORD = "a long password"


@pytest.fixture
def make_accounts(tmp_path: Path, database_url: str) -> Iterator[Any]:
    """Opens the accounts of one database (SQLite, and PostgreSQL where a server answers) for
    the settings given."""
    runtimes: list[Runtime] = []

    def make(**overrides: Any) -> Accounts:
        fields = {"data_dir": tmp_path / "data", "database_url": database_url, **overrides}
        settings = Settings(**fields)
        runtime = Runtime(settings)
        runtimes.append(runtime)
        return Accounts(runtime.engine, settings)

    yield make
    for runtime in runtimes:
        runtime.close()


@pytest.fixture
def accounts(make_accounts: Any) -> Accounts:
    found: Accounts = make_accounts(admin_password="admin password")
    found.ensure_first_admin()
    return found


def test_the_first_admin_gets_the_configured_password_once(make_accounts: Any) -> None:
    accounts = make_accounts(admin_username="root", admin_password="s3cret pw")
    accounts.ensure_first_admin()
    assert accounts.authenticate("root", "s3cret pw") == "root"
    assert accounts.authenticate("root", "wrong") is None
    assert accounts.authenticate("admin", "s3cret pw") is None
    accounts.set_password("root", "changed in the UI")
    # a later start with the same settings leaves the admin (and the new password) alone
    make_accounts(admin_username="root", admin_password="s3cret pw").ensure_first_admin()
    assert accounts.authenticate("root", "changed in the UI") == "root"
    assert [(u.name, u.role) for u in accounts.list_users()] == [("root", "admin")]


def test_without_a_password_one_is_generated_and_announced_once(make_accounts: Any) -> None:
    announced: list[str] = []
    accounts = make_accounts()
    accounts.ensure_first_admin(announced.append)
    accounts.ensure_first_admin(announced.append)
    (message,) = announced
    password = re.search(r"password '([^']+)'", message)
    assert password is not None
    assert accounts.authenticate("admin", password.group(1)) == "admin"


def test_the_password_generated_before_accounts_existed_stays_valid(
    make_accounts: Any, tmp_path: Path
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / LEGACY_PASSWORD_FILE).write_text(json.dumps(hash_password("old one")))
    accounts = make_accounts()
    accounts.ensure_first_admin(pytest.fail)
    assert accounts.authenticate("admin", "old one") == "admin"


def test_password_hashes_are_salted_and_verified() -> None:
    first, second = hash_password("pw"), hash_password("pw")
    assert first["hash"] != second["hash"]
    assert verify_password("pw", first) and not verify_password("pw2", first)


def test_users_are_added_checked_and_refused_with_reasons(accounts: Accounts) -> None:
    accounts.add_user("rita", PASSWORD)
    accounts.add_user(" ed ", PASSWORD, "Editor")
    assert {(u.name, u.role) for u in accounts.list_users()} == {
        ("admin", "admin"),
        ("ed", "editor"),
        ("rita", "reader"),
    }
    assert accounts.authenticate("rita", PASSWORD) == "rita"
    stored = json.dumps([u.__dict__ for u in accounts.list_users()], default=str)
    assert PASSWORD not in stored
    for name, password, role, problem in [
        ("rita", PASSWORD, "reader", "exists already"),
        ("anonymous", PASSWORD, "reader", "reserved"),
        ("operator", PASSWORD, "reader", "reserved"),
        ("two words", PASSWORD, "reader", "letters, digits"),
        ("", PASSWORD, "reader", "letters, digits"),
        ("sam", "short", "reader", "at least 8"),
        ("sam", PASSWORD, "owner", "unknown role"),
    ]:
        with pytest.raises(ValueError, match=problem):
            accounts.add_user(name, password, role)
    assert len(accounts.list_users()) == 3


def test_roles_passwords_and_removal_keep_at_least_one_admin(accounts: Accounts) -> None:
    accounts.add_user("rita", PASSWORD)
    with pytest.raises(ValueError, match="last admin"):
        accounts.set_role("admin", "reader")
    with pytest.raises(ValueError, match="last admin"):
        accounts.remove_user("admin")
    accounts.set_role("rita", "admin")
    accounts.set_role("admin", "editor")
    assert accounts.caller_for_user("admin") == Caller(
        "admin", Role.EDITOR, readable=frozenset(), writable=frozenset()
    )
    accounts.set_password("rita", "another password")
    assert accounts.authenticate("rita", PASSWORD) is None
    assert accounts.authenticate("rita", "another password") == "rita"
    with pytest.raises(LookupError, match="no user named 'nobody'"):
        accounts.set_role("nobody", "reader")
    assert accounts.remove_user("admin") and not accounts.remove_user("admin")
    assert accounts.caller_for_user("admin") is None
    assert accounts.authenticate("admin", "admin password") is None


def test_a_user_reads_what_is_granted_to_them_or_their_groups_and_the_public(
    accounts: Accounts,
) -> None:
    accounts.add_user("rita", PASSWORD)
    accounts.add_user("ed", PASSWORD, "editor")
    accounts.add_group("legal")
    accounts.set_membership("legal", "rita")
    accounts.set_membership("legal", "ed")
    accounts.grant("contracts", group="legal", level="read")
    accounts.grant("drafts", user="ed", level="write")
    accounts.grant("memos", user="rita", level="write")  # a reader cannot write anyway
    accounts.set_public("handbook")
    accounts.grant("secret", user="admin")
    rita = accounts.caller_for_user("rita")
    ed = accounts.caller_for_user("ed")
    assert rita == Caller(
        "rita",
        Role.READER,
        readable=frozenset({"contracts", "memos", "handbook"}),
        writable=frozenset(),
    )
    assert ed is not None and ed.readable == {"contracts", "drafts", "handbook"}
    assert ed.writable == {"drafts"} and ed.may_write("drafts") and not ed.may_write("contracts")
    assert accounts.caller_for_user("admin") == Caller("admin", Role.ADMIN)

    accounts.set_membership("legal", "rita", member=False)
    accounts.grant("memos", user="rita", level=None)
    accounts.set_public("handbook", False)
    after = accounts.caller_for_user("rita")
    assert after is not None and after.readable == frozenset()
    assert accounts.groups() == {"legal": ["ed"]}
    assert [(g.collection, g.principal, g.write) for g in accounts.grants()] == [
        ("contracts", "group:legal", False),
        ("drafts", "user:ed", True),
        ("secret", "user:admin", False),
    ]
    assert accounts.remove_group("legal")
    ed_after = accounts.caller_for_user("ed")
    assert ed_after is not None and "contracts" not in ed_after.readable


def test_collections_granted_to_nobody_follow_the_setting(make_accounts: Any) -> None:
    closed = make_accounts(admin_password="admin password")
    closed.ensure_first_admin()
    closed.add_user("rita", PASSWORD)
    closed.grant("granted", user="admin")
    closed.set_public("ungranted-but-public")
    closed.set_public("ungranted", False)  # creates it, with no grant
    rita = closed.caller_for_user("rita")
    assert rita is not None and rita.readable == {"ungranted-but-public"}

    opened = make_accounts(ungranted_collections="users")
    rita = opened.caller_for_user("rita")
    assert rita is not None and rita.readable == {"ungranted", "ungranted-but-public"}


def test_the_anonymous_reader_reads_only_public_collections_when_allowed(
    make_accounts: Any,
) -> None:
    embedded = make_accounts()
    embedded.set_public("handbook")
    embedded.set_public("internal", False)
    assert embedded.anonymous_caller() == Caller(
        ANONYMOUS_NAME, Role.READER, readable=frozenset({"handbook"}), writable=frozenset()
    )
    assert make_accounts(anonymous_read=False).anonymous_caller() is None
    distributed = Settings(mode="distributed", redis_url="redis://localhost")
    assert distributed.anonymous_read is False and Settings().anonymous_read is True


def test_grants_name_known_users_and_groups_and_one_level(accounts: Accounts) -> None:
    with pytest.raises(LookupError, match="no user named 'ghost'"):
        accounts.grant("c", user="ghost")
    with pytest.raises(LookupError, match="no group named 'ghosts'"):
        accounts.grant("c", group="ghosts")
    with pytest.raises(ValueError, match="one user or one group"):
        accounts.grant("c", user="admin", group="x")
    with pytest.raises(ValueError, match="read or write"):
        accounts.grant("c", user="admin", level="own")
    assert accounts.grants() == []
