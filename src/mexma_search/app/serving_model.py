"""Which model serves search: model versions, their collections, and the live alias.

The database says which version is active (one row at most, changed in one transaction); the
alias ``chunks`` in the vector index follows it: :func:`activate` commits the change, then
points the alias, and :func:`live_collection` re-points an alias that lags behind (a crash
between the two, or an index opened afresh). A query is encoded by the active version's
encoder and searched in that version's own collection, so they never disagree.
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
from mexma_search.index import LIVE_ALIAS, collection_name, model_version_of
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


def activate(runtime: Runtime, name: str) -> str | None:
    """Make ``name`` the active version, then point the alias at its collection; the model
    path of the version it retired, if any.

    The database commits first: if the alias swap then fails, the next
    :func:`live_collection` points it, so the index never serves a version the database does
    not name.
    """
    with session_scope(runtime.engine) as session:
        previous = active_model_version(session)
        retired = previous.path if previous is not None and previous.name != name else None
        model = set_active(session, name)
        collection = model.qdrant_collection or collection_name(name)
    runtime.index.swap_alias(LIVE_ALIAS, collection)
    return retired


def live_version(runtime: Runtime) -> str | None:
    """The name of the version that serves search, None before the first start; it only
    reads (the admin page polls it): nothing is registered and no encoder loaded."""
    with read_scope(runtime.engine) as session:
        active = active_model_version(session)
        return active.name if active is not None else None


def live_collection(runtime: Runtime) -> str:
    """The active version's collection, with the alias pointing at it; on first start the
    default model is registered and made active."""
    with read_scope(runtime.engine) as session:
        active = active_model_version(session)
        found = (
            None
            if active is None
            else (active.qdrant_collection or collection_name(active.name), active.dimension)
        )
    if found is None:
        default = runtime.settings.default_model
        register_model_version(runtime, version_name(default), default)
        with suppress(IntegrityError):  # another process activated a version concurrently
            activate(runtime, version_name(default))
        return live_collection(runtime)
    collection, dimension = found
    if runtime.index.alias_target(LIVE_ALIAS) != collection:
        runtime.index.ensure_collection(collection, dimension)
        runtime.index.swap_alias(LIVE_ALIAS, collection)
    return collection


def serving_model(runtime: Runtime) -> ServingModel:
    """The live model: the active version, with its encoder (registers the default model on
    first start; see :func:`live_version` for a read that never writes)."""
    collection = live_collection(runtime)
    name = model_version_of(collection)
    return ServingModel(name, collection, version_encoder(runtime, name))


def version_encoder(runtime: Runtime, name: str) -> SentenceEncoder:
    """The encoder of model version ``name``, live or not (LookupError when no version has
    that name)."""
    path = runtime.model_paths.get(name)
    if path is None:
        with read_scope(runtime.engine) as session:
            model = get_model_version(session, name)
        if model is None:
            raise LookupError(f"no model version named {name!r}")
        path = runtime.model_paths[name] = model.path
    return runtime.encoder(path)
