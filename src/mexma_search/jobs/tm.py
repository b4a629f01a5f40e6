"""The ``tm`` task: mine sentence pairs from two collections, or align two documents, with the
serving model or the model version the job names; the pairs go to the job's result file (see
:mod:`mexma_search.app.tm_jobs`).

Progress: ``reading`` (the sentences from the database), ``encoding`` (sentences done of all,
the encoder's own count), then ``mining`` or ``aligning``. Cancellation stops at the next
encoder batch; a failed or cancelled job leaves no result file. Re-delivery starts over: the
result file is written whole at the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from mexma_search.app.encoder_gate import background_batch_tokens
from mexma_search.app.runtime import Runtime
from mexma_search.app.serving_model import serving_model, version_encoder
from mexma_search.app.tm_jobs import ALIGN, MINE, results_path
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.jobs.handler import JobError, JobHandler
from mexma_search.store import read_scope
from mexma_search.tm.results import write_results
from mexma_search.tm.sources import (
    SourceError,
    collection_sentences,
    stored_document_language,
    stored_document_sentences,
)
from mexma_search.tm.verify import WordVectors, reads_words, word_vector_function
from mexma_search.tm.workflow import Progress, align_documents, encoder_function, mine_sentences

Encode = Callable[[Sequence[str]], np.ndarray]
# the least time between two progress rows while encoding
PROGRESS_EVERY_S = 0.5


def background_encode(runtime: Runtime, encoder: SentenceEncoder, progress: Progress) -> Encode:
    """``encoder``'s passage encoding, reporting ``(texts done, texts in all)``; its batches
    are background turns at the process's encoder, so searches go first."""
    return encoder_function(
        encoder,
        runtime.settings.encode_batch_size,
        progress,
        max_batch_tokens=background_batch_tokens(encoder.device),
        turn=runtime.encoder_gate.background,
    )


def background_words(runtime: Runtime, encoder: SentenceEncoder) -> WordVectors:
    """``encoder``'s word vectors for verifying mined candidates, in background turns."""
    return word_vector_function(
        encoder,
        runtime.settings.encode_batch_size,
        turn=runtime.encoder_gate.background,
    )


class TranslationMemoryJob(JobHandler):
    """Mine (parameter ``task`` = ``mine``) or align (``align``) with the model version of
    parameter ``model`` (None: the live one); see the module docstring."""

    _model: tuple[str, SentenceEncoder] | None = None

    def run(self) -> None:
        task = self.parameter("task")
        if task == MINE:
            summary = self._mine()
        elif task == ALIGN:
            summary = self._align()
        else:
            raise JobError(f"job {self.job_id}: unknown translation-memory task {task!r}")
        self.finish(_finish_message(summary), summary)

    def _mine(self) -> dict[str, Any]:
        source, target = self.parameter("source"), self.parameter("target")
        self.progress(stage="reading", message="reading the sentences")
        with read_scope(self.runtime.engine) as session:
            src = _mining_side(session, source)
            trg = _mining_side(session, target)
        report = mine_sentences(
            src,
            trg,
            self._encoder(),
            threshold=self.job.parameters.get("threshold"),
            verify=self._verifier() if reads_words(source["lang"], target["lang"]) else None,
        )
        self.progress(stage="writing", message=f"{len(report.pairs)} pairs")
        count = write_results(results_path(self.runtime.settings, self.job_id), report.pairs)
        return {
            "task": MINE,
            **report.summary(),
            "model": self._version()[0],
            "pairs": count,
            "src_lang": source["lang"],
            "trg_lang": target["lang"],
            "sentences": {"source": len(src), "target": len(trg)},
        }

    def _align(self) -> dict[str, Any]:
        source, target = self.parameter("source"), self.parameter("target")
        self.progress(stage="reading", message="reading the sentences")
        with read_scope(self.runtime.engine) as session:
            src, src_lang = _alignment_side(session, source)
            trg, trg_lang = _alignment_side(session, target)
        started = time.perf_counter()
        pairs = align_documents(src, trg, self._encoder())
        self.progress(stage="writing", message=f"{len(pairs)} pairs")
        count = write_results(results_path(self.runtime.settings, self.job_id), pairs)
        return {
            "task": ALIGN,
            "model": self._version()[0],
            "pairs": count,
            "src_lang": src_lang,
            "trg_lang": trg_lang,
            "sentences": {"source": len(src), "target": len(trg)},
            "mean_score": sum(p.score for p in pairs) / count if count else None,
            "timing": {"align_s": time.perf_counter() - started},
        }

    def _version(self) -> tuple[str, SentenceEncoder]:
        """The job's model version and its encoder, loaded on first use."""
        if self._model is None:
            name = self.job.parameters.get("model")
            if name is None:
                serving = serving_model(self.runtime)
                self._model = serving.version, serving.encoder
            else:
                try:
                    self._model = name, version_encoder(self.runtime, name)
                except LookupError as exc:
                    raise JobError(str(exc)) from exc
        return self._model

    def _encoder(self) -> Encode:
        """The job's encoder, reporting its progress as the job's (and stopping the job
        there when it is cancelled)."""
        last = 0.0

        def report(done: int, total: int) -> None:
            nonlocal last
            now = time.monotonic()
            if done < total and now - last < PROGRESS_EVERY_S:
                return
            last = now
            self.progress(
                stage="encoding", done=done, total=total, message=f"{done} of {total} sentences"
            )

        self.progress(stage="encoding", done=0, message="loading the model")
        return background_encode(self.runtime, self._version()[1], report)

    def _verifier(self) -> WordVectors:
        """The job's model's word vectors, a progress row (and a stop if cancelled) per
        chunk of candidates verified."""
        words = background_words(self.runtime, self._version()[1])

        def verify(texts: Sequence[str]) -> list[np.ndarray]:
            self.progress(stage="verifying", message="checking the candidates word by word")
            return words(texts)

        return verify

    def cleanup(self, reason: str) -> None:
        """Remove a result file a failed re-delivery might have left."""
        results_path(self.runtime.settings, self.job_id).unlink(missing_ok=True)


def _mining_side(session: Session, side: dict[str, Any]) -> list[str]:
    try:
        sentences = collection_sentences(
            session, side["collection"], side["lang"], side.get("document_ids") or ()
        )
    except SourceError as exc:
        raise JobError(str(exc)) from exc
    if not sentences:
        raise JobError(f"{side['collection']!r} has no sentences in language {side['lang']!r}")
    return sentences


def _alignment_side(session: Session, side: dict[str, Any]) -> tuple[list[str], str]:
    document_id = int(side["document_id"])
    try:
        sentences = stored_document_sentences(session, document_id, side.get("lang"))
    except SourceError as exc:
        raise JobError(str(exc)) from exc
    lang = side.get("lang") or stored_document_language(session, document_id) or "und"
    if not sentences:
        raise JobError(f"document #{document_id} has no sentences in language {lang!r}")
    return sentences, lang


def _finish_message(summary: dict[str, Any]) -> str:
    sentences = summary["sentences"]
    verb = "mined" if summary["task"] == MINE else "aligned"
    return (
        f"{summary['pairs']} {summary['src_lang']}-{summary['trg_lang']} pairs {verb} from "
        f"{sentences['source']} and {sentences['target']} sentences"
    )
