"""Model version operations of :class:`~mexma_search.app.services.Services`: the registered
versions, how a candidate's held-out metrics changed, and making a model live."""

from __future__ import annotations

from pathlib import Path

from mexma_search import store as db
from mexma_search.app.access import Caller, Role
from mexma_search.app.encoder_cache import resolve_model_source
from mexma_search.app.model_checks import MetricChange, WorseMetricsError, worse_metrics
from mexma_search.app.queues import Step
from mexma_search.app.service_base import ServiceBase
from mexma_search.app.serving_model import live_collection, version_name
from mexma_search.app.views import ModelVersionInfo
from mexma_search.index import LIVE_ALIAS
from mexma_search.store import JobKind, session_scope


class ModelServices(ServiceBase):
    """The model versions and their promotion to live (admins only)."""

    def list_model_versions(self) -> list[ModelVersionInfo]:
        """Registered model versions, newest first; the live one is marked."""
        live = self.runtime.index.alias_target(LIVE_ALIAS)
        with session_scope(self.runtime.engine) as session:
            return [ModelVersionInfo.from_row(m, live) for m in db.list_model_versions(session)]

    def worse_metrics(self, name: str) -> list[MetricChange]:
        """The held-out metrics that got worse when model version ``name`` was trained (none
        for a model that is not a registered version or has no before/after)."""
        with session_scope(self.runtime.engine) as session:
            registered = db.get_model_version(session, version_name(name))
            return worse_metrics(registered.metrics) if registered else []

    def promote_model(
        self, name: str, *, accept_worse: bool = False, caller: Caller | None = None
    ) -> int:
        """Start a reindex job that makes model ``name`` live (a registered version, a model
        in the models directory, or a directory); its job id. Only admins may.
        WorseMetricsError, unless ``accept_worse``, when any of the version's held-out
        metrics got worse."""
        if caller is not None and caller.role is not Role.ADMIN:
            raise PermissionError(f"{caller.name} may not promote models: admins only")
        version = version_name(name)
        live_collection(self.runtime)  # the version it replaces is registered and live
        with session_scope(self.runtime.engine) as session:
            registered = db.get_model_version(session, version)
            source = registered.source if registered else resolve_model_source(name, self.settings)
            if registered is None and not Path(source).is_dir():
                raise ValueError(f"no model version or model directory named {name!r}")
            worse = worse_metrics(registered.metrics) if registered else []
            if worse and not accept_worse:
                raise WorseMetricsError(version, worse)
            if any(job.kind == JobKind.REINDEX for job in db.unfinished_jobs(session)):
                raise RuntimeError("another model is being promoted: wait for that job first")
            job = db.create_job(
                session, JobKind.REINDEX, parameters={"model_version": version, "source": source}
            )
        self.queue.enqueue(job.id, Step.REINDEX)
        return job.id
