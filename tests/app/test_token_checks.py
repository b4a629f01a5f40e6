"""Checking an API token on a request only reads the database: requests never queue for the
write lock that ingest holds, and the token's last use is still recorded."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from mexma_search.app.access import OPERATOR_NAME
from mexma_search.app.api_tokens import ApiTokenInfo, TokenRefusedError, database_tokens
from mexma_search.app.settings import Settings

WAIT_S = 5.0


def _run_while_another_writes(database: Path, check: Callable[[], object]) -> list[object]:
    """Run ``check`` (a callable) while another connection holds the write lock; what it
    returned or raised (empty if it did not finish in WAIT_S)."""
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(check())
        except Exception as error:
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(WAIT_S)
    finished = not thread.is_alive()
    writer.execute("ROLLBACK")
    writer.close()
    thread.join()
    return outcome if finished else []


def test_a_token_check_reads_only_and_records_the_first_use(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    assert settings.database_url is not None
    database = Path(settings.database_url.removeprefix("sqlite:///"))
    with database_tokens(settings) as tokens:
        created = tokens.create("bench", OPERATOR_NAME, "read")
        first = tokens.authenticate(created.secret)  # records the use
        assert first.id == created.info.id
        (listed,) = tokens.list_tokens()
        assert listed.last_used_at is not None

        outcome = _run_while_another_writes(database, lambda: tokens.authenticate(created.secret))
        assert len(outcome) == 1 and isinstance(outcome[0], ApiTokenInfo), outcome

        assert tokens.revoke(created.info.id)
        with pytest.raises(TokenRefusedError, match="revoked"):
            tokens.authenticate(created.secret)
