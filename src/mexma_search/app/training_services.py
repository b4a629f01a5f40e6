"""Training operations of :class:`~mexma_search.app.services.Services`: checking a bitext file
and queueing a job that fine-tunes a model on it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mexma_search import store as db
from mexma_search.app.bitext_summary import LanguageTally, layout_summary
from mexma_search.app.encoder_cache import resolve_model_source
from mexma_search.app.queues import Step
from mexma_search.app.service_base import ServiceBase
from mexma_search.app.serving_model import live_version, version_name
from mexma_search.app.training_params import job_parameters, training_refusal
from mexma_search.app.uploads import RejectedFile, StoredFile, filename_parameters, store_bitext
from mexma_search.encoder.bitext import (
    BitextError,
    BitextFields,
    bitext_fields,
    bitext_layout,
    format_report,
    validate_bitext,
)
from mexma_search.encoder.training.data import BitextSource
from mexma_search.store import JobKind, session_scope


class TrainingServices(ServiceBase):
    """Fine-tuning: the bitext check, and the training job that registers a candidate model
    version."""

    def validate_bitext(
        self, path: Path | str, *, params: Mapping[str, Any] | None = None, **read_options: Any
    ) -> dict[str, Any]:
        """Check a bitext file, streaming; nothing is stored or trained.

        ``read_options`` are :func:`~mexma_search.encoder.bitext.read_bitext`'s
        (``second_path``, ``fmt``, ``src_lang``, ``trg_lang``, ``src_column``, ``trg_column``,
        ...). Returns ``{"ok", "error", "report", "text"}``: ``ok`` when the file reads and a
        training job with ``params`` (default: the defaults) would accept its usable pairs;
        ``error`` why not (for an unreadable file: the file's name, line and problem);
        ``report`` the validation report as a dict (None if the file cannot be read); ``text``
        the report (or the error) for people.
        """
        source = BitextSource(Path(path), dict(read_options))
        languages = LanguageTally()
        try:
            layout = bitext_layout(Path(path), **source.read_options)
            report = validate_bitext(languages.count(source.read()), source.filter_options)
        except BitextError as exc:
            return {"ok": False, "error": exc.brief, "report": None, "text": exc.brief}
        error = training_refusal(params or {}, self.settings, report.pairs_kept)
        read_as = [layout_summary(layout), languages.summary()]
        text = "\n".join([*read_as, format_report(report)])
        return {"ok": error is None, "error": error, "report": report.to_dict(), "text": text}

    def bitext_fields(self, path: Path | str) -> BitextFields:
        """What a bitext file offers to choose from (TSV/CSV columns, JSONL keys, TMX
        languages), for the training form; BitextError when it cannot be read."""
        return bitext_fields(Path(path))

    def start_training(
        self,
        bitext_path: Path | str,
        *,
        base: str | None = None,
        params: Mapping[str, Any] | None = None,
        read_options: Mapping[str, Any] | None = None,
    ) -> int:
        """Queue a job that fine-tunes ``base`` (a model version, model name or directory;
        default: the live model) on a bitext file; its job id.

        The file (and ``read_options["second_path"]``) is validated, then copied into the
        uploads directory; ``params`` are :data:`~.training_params.JOB_PARAMETERS`. The job
        registers a candidate model version ``<base>-mexma-<job id>``. ValueError, with
        nothing stored or queued, for an unreadable or too small bitext or a bad parameter.
        """
        options = {k: str(v) if isinstance(v, Path) else v for k, v in (read_options or {}).items()}
        checked = self.validate_bitext(bitext_path, params=params, **options)
        if not checked["ok"]:
            raise ValueError(checked["error"])
        chosen = job_parameters(params or {}, self.settings, checked["report"]["pairs_kept"])
        base_name, base_path = self._training_base(base)
        bitext = self._store_bitext(Path(bitext_path))
        if "second_path" in options:
            options["second_path"] = str(
                self._store_bitext(Path(options["second_path"])).stored_path
            )
        parameters = {
            "bitext": str(bitext.stored_path),
            **filename_parameters(bitext),
            "read_options": options,
            "base": base_name,
            "base_path": base_path,
            "params": chosen,
            "validation": checked["report"],
        }
        with session_scope(self.runtime.engine) as session:
            job = db.create_job(session, JobKind.TRAIN, parameters=parameters)
            name = version_name(f"{base_name}-mexma-{job.id}")
            job.parameters = {**parameters, "model_version": name}
            job_id = job.id
        self.queue.enqueue(job_id, Step.TRAIN)
        return job_id

    def _training_base(self, base: str | None) -> tuple[str, str]:
        """The version name and loadable source of the model to fine-tune."""
        name = base if base is not None else live_version(self.runtime)
        if name is None:  # nothing serves yet: the default model
            default = self.settings.default_model
            return version_name(default), resolve_model_source(default, self.settings)
        with session_scope(self.runtime.engine) as session:
            registered = db.get_model_version(session, name)
            if registered is not None:
                return registered.name, registered.path
        return version_name(name), resolve_model_source(name, self.settings)

    def _store_bitext(self, path: Path) -> StoredFile:
        assert self.settings.uploads_dir is not None
        stored = store_bitext(
            path, self.settings.uploads_dir / "bitext", self.settings.max_upload_mb << 20
        )
        if isinstance(stored, RejectedFile):
            raise ValueError(f"{stored.filename}: {stored.reason}")
        return stored
