"""Which model serves search: model versions, their collections, and the live alias.

The alias ``chunks`` in the vector index is the single source of truth for the live model:
a query is always encoded by the model version whose collection the alias points to
(alias -> collection -> model version -> encoder), so search and index can never disagree.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from mexma_search.app.encoder_cache import resolve_model_source
from mexma_search.app.runtime import Runtime
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.index.vector_index import LIVE_ALIAS, collection_name, model_version_of
from mexma_search.store import (
    NewModelVersion,
    active_model_version,
    create_model_version,
    get_model_version,
    read_scope,
    session_scope,
    set_active,
)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ServingModel:
    """A model version ready to embed: its name, its collection and its encoder."""

    version: str
    collection: str
    encoder: SentenceEncoder


def version_name(source: str) -> str:
    """The model version name for a model name, directory or hub id (its last path part)."""
    name = _UNSAFE.sub("-", Path(source.rstrip("/")).name).strip("-.")
    if not name:
        raise ValueError(f"cannot derive a model version name from {source!r}")
    return name[:200]


def register_model_version(runtime: Runtime, name: str, source: str) -> ServingModel:
    """Register ``source`` as model version ``name`` (once) and create its empty collection."""
    with session_scope(runtime.engine) as session:
        existing = get_model_version(session, name)
        path = existing.path if existing else resolve_model_source(source, runtime.settings)
    encoder = runtime.encoder(path)
    collection = collection_name(name)
    if existing is None:
        new = NewModelVersion(
            name=name,
            source=source,
            path=path,
            pooling=encoder.config.pooling,
            dimension=encoder.dimension,
            base=encoder.config.base or None,
            qdrant_collection=collection,
        )
        # IntegrityError: another process registered it first
        with suppress(IntegrityError), session_scope(runtime.engine) as session:
            create_model_version(session, new)
    runtime.index.ensure_collection(collection, encoder.dimension)
    return ServingModel(name, collection, encoder)


def activate(runtime: Runtime, name: str) -> None:
    """Make ``name`` the active version and point the alias at its collection, atomically.

    The alias swap runs inside the database transaction: if it fails, the rows roll back.
    """
    with session_scope(runtime.engine) as session:
        model = set_active(session, name)
        runtime.index.swap_alias(LIVE_ALIAS, model.qdrant_collection or collection_name(name))


def ensure_live_collection(runtime: Runtime) -> str:
    """The collection the alias points to; on first start, register the default model as the
    active version (or re-point a missing alias at the active version)."""
    target = runtime.index.alias_target(LIVE_ALIAS)
    if target is not None:
        return target
    with session_scope(runtime.engine) as session:
        active = active_model_version(session)
        active_name = active.name if active else None
    if active_name is None:
        default = runtime.settings.default_model
        register_model_version(runtime, version_name(default), default)
        with suppress(IntegrityError):  # another process activated a version concurrently
            activate(runtime, version_name(default))
    else:
        register_model_version(runtime, active_name, active_name)
        activate(runtime, active_name)
    target = runtime.index.alias_target(LIVE_ALIAS)
    assert target is not None
    return target


def serving_model(runtime: Runtime) -> ServingModel:
    """The live model: the version behind the alias, with its encoder."""
    collection = ensure_live_collection(runtime)
    name = model_version_of(collection)
    path = runtime.model_paths.get(name)
    if path is None:
        with read_scope(runtime.engine) as session:
            model = get_model_version(session, name)
        if model is None:
            raise LookupError(f"the live collection {collection!r} belongs to no model version")
        path = runtime.model_paths[name] = model.path
    return ServingModel(name, collection, runtime.encoder(path))
