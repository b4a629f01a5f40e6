"""Model versions: registering encoders, promoting one to active, retiring the previous one.

Functions take a session and never commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mexma_search.store.tables import ModelStatus, ModelVersion


@dataclass(frozen=True)
class NewModelVersion:
    """An encoder to register: where it comes from and how it embeds."""

    name: str
    source: str
    path: str
    pooling: str
    dimension: int
    base: str | None = None
    metrics: Mapping[str, Any] = field(default_factory=dict)
    job_id: int | None = None
    qdrant_collection: str | None = None


def create_model_version(session: Session, new: NewModelVersion) -> ModelVersion:
    """Register a candidate model version (flushed, so its id is set)."""
    model = ModelVersion(
        name=new.name,
        source=new.source,
        path=new.path,
        pooling=new.pooling,
        dimension=new.dimension,
        base=new.base,
        metrics=dict(new.metrics),
        job_id=new.job_id,
        qdrant_collection=new.qdrant_collection,
    )
    session.add(model)
    session.flush()
    return model


def get_model_version(session: Session, name: str) -> ModelVersion | None:
    """The model version called ``name``, or None."""
    return session.scalar(select(ModelVersion).where(ModelVersion.name == name))


def list_model_versions(session: Session) -> list[ModelVersion]:
    """All model versions, newest first."""
    query = select(ModelVersion).order_by(ModelVersion.created_at.desc(), ModelVersion.id.desc())
    return list(session.scalars(query))


def active_model_version(session: Session) -> ModelVersion | None:
    """The model version that serves search, or None before the first promotion."""
    return session.scalar(select(ModelVersion).where(ModelVersion.status == ModelStatus.ACTIVE))


def update_model_version(
    session: Session,
    name: str,
    *,
    metrics: Mapping[str, Any] | None = None,
    qdrant_collection: str | None = None,
) -> ModelVersion:
    """Set a model version's metrics and/or Qdrant collection; KeyError if it does not exist."""
    model = _require(session, name)
    if metrics is not None:
        model.metrics = dict(metrics)
    if qdrant_collection is not None:
        model.qdrant_collection = qdrant_collection
    session.flush()
    return model


def set_active(session: Session, name: str) -> ModelVersion:
    """Make ``name`` the active version and retire the one it replaces, in this transaction.

    A partial unique index allows one active row at most, so a concurrent promotion fails
    with an IntegrityError instead of leaving two active versions.
    """
    model = _require(session, name)
    if model.status == ModelStatus.ACTIVE:
        return model
    session.execute(
        update(ModelVersion)
        .where(ModelVersion.status == ModelStatus.ACTIVE)
        .values(status=ModelStatus.RETIRED)
    )
    model.status = ModelStatus.ACTIVE
    session.flush()
    return model


def delete_model_version(session: Session, name: str) -> None:
    """Forget a model version; the active one cannot be deleted (ValueError)."""
    model = _require(session, name)
    if model.status == ModelStatus.ACTIVE:
        raise ValueError(f"model version {name!r} is active: promote another one first")
    session.delete(model)
    session.flush()


def _require(session: Session, name: str) -> ModelVersion:
    model = get_model_version(session, name)
    if model is None:
        raise KeyError(f"no model version named {name!r}")
    return model
