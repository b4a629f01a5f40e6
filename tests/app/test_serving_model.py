"""The live model: the database names the active version, the alias follows it, and reading
which version is live never registers or loads anything."""

from __future__ import annotations

from unittest import mock

import pytest
from sqlalchemy.orm import SessionTransaction

from mexma_search.app.services import Services
from mexma_search.app.serving_model import (
    activate,
    live_collection,
    live_version,
    register_model_version,
    serving_model,
)
from mexma_search.index import LIVE_ALIAS
from mexma_search.store import active_model_version, list_model_versions, read_scope


def _active(services: Services) -> str | None:
    with read_scope(services.runtime.engine) as session:
        active = active_model_version(session)
        return active.name if active else None


def test_reading_the_live_version_writes_and_loads_nothing(services: Services) -> None:
    assert live_version(services.runtime) is None
    assert services.list_model_versions() == []
    with read_scope(services.runtime.engine) as session:
        assert list_model_versions(session) == []
    assert len(services.runtime.encoders) == 0
    assert services.runtime.index.alias_target(LIVE_ALIAS) is None


def test_the_first_serving_model_registers_the_default_and_points_the_alias(
    services: Services,
) -> None:
    model = serving_model(services.runtime)
    assert live_version(services.runtime) == model.version == _active(services)
    assert services.runtime.index.alias_target(LIVE_ALIAS) == model.collection
    assert [v.live for v in services.list_model_versions()] == [True]


def test_a_failed_commit_leaves_alias_and_database_on_the_old_version(
    services: Services, tiny_cls_model_dir: object
) -> None:
    old = serving_model(services.runtime)
    new = register_model_version(services.runtime, "candidate", str(tiny_cls_model_dir))
    with (
        mock.patch.object(SessionTransaction, "commit", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError, match="disk full"),
    ):
        activate(services.runtime, new.version)
    assert _active(services) == old.version
    assert services.runtime.index.alias_target(LIVE_ALIAS) == old.collection


def test_an_alias_left_behind_follows_the_database(
    services: Services, tiny_cls_model_dir: object
) -> None:
    old = serving_model(services.runtime)
    new = register_model_version(services.runtime, "candidate", str(tiny_cls_model_dir))
    assert activate(services.runtime, new.version) is not None  # the old version's path
    # as after a crash between the commit and the alias swap
    services.runtime.index.swap_alias(LIVE_ALIAS, old.collection)
    assert live_collection(services.runtime) == new.collection
    assert services.runtime.index.alias_target(LIVE_ALIAS) == new.collection
    assert serving_model(services.runtime).version == "candidate"
