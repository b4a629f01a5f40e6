"""The translation-memory panel's handlers: start a job, page and filter its pairs, export
them, and hand them to the training form, whose job then trains on them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from tm_library import PLANTED, TIMEOUT, LexiconEncoder, ingest, mining_library, write_side

from mexma_search.app.access import Caller, Role
from mexma_search.app.runtime import Runtime
from mexma_search.app.services import Services
from mexma_search.app.serving_model import register_model_version
from mexma_search.encoder.bitext import read_bitext
from mexma_search.jobs import tm as tm_task
from mexma_search.jobs.inprocess import InProcessWorker
from mexma_search.tm.workflow import Progress
from mexma_search.webapp.tm_jobs_panel import TmJobsPanel
from mexma_search.webapp.tm_pairs_actions import TrainingLink
from mexma_search.webapp.training_panel import ADVANCED, BASIC, TrainingPanel

ADMIN = Caller("admin", Role.ADMIN)
# min score, contains, sort, ascending, page, page size
EVERYTHING = (None, "", "score", False, 1, 50)
QUICK = {"max_steps": "4", "batch_size": 4, "held_out": "8", "eval_every": 2, "koleo": False}
RIVERS = [
    (f"The river {n} flows under {n % 7} bridges.", f"El río {n} pasa bajo {n % 7} puentes.")
    for n in range(30)
]


@pytest.fixture(autouse=True)
def lexicon(monkeypatch: pytest.MonkeyPatch) -> None:
    def encoder(runtime: Runtime, model: Any, progress: Progress) -> LexiconEncoder:
        return LexiconEncoder(progress)

    monkeypatch.setattr(tm_task, "background_encode", encoder)


@pytest.fixture
def panel(services: Services) -> TmJobsPanel:
    panel = TmJobsPanel(services, sessions=None)  # type: ignore[arg-type]  # handlers only
    # handlers only: no components
    panel.actions.training = TrainingLink(None, None, "admin", None, "training")  # type: ignore[arg-type]
    return panel


def _finished_job(services: Services, started: tuple[Any, ...]) -> int:
    job_id = started[1]["value"] if isinstance(started[1], dict) else started[1].value
    assert services.wait_for_job(job_id, TIMEOUT).status == "succeeded"
    return int(job_id)


def test_a_mining_job_started_from_the_panel_shows_its_pairs_a_page_at_a_time(
    services: Services,
    worker: InProcessWorker,
    panel: TmJobsPanel,
    tmp_path: Path,
    tiny_cls_model_dir: Path,
) -> None:
    mining_library(services, tmp_path)
    register_model_version(services.runtime, "for-mining", str(tiny_cls_model_dir))
    picker = panel.choices(ADMIN)[-1]
    assert ("for-mining (candidate)", "for-mining") in picker.choices
    started = panel.start_mining(ADMIN, "tm-en", "en", "", "tm-es", "es", "", 1.0, "for-mining")
    job_id = _finished_job(services, started)
    progress, summary, rows, page, status = panel.show(ADMIN, f"#{job_id}", *EVERYTHING)
    assert status == "succeeded" and "pairs mined" in progress
    assert "**en → es** (model for-mining)" in summary
    assert {(src, trg) for _, src, trg, _ in rows[:4]} == set(PLANTED)
    assert f"of {len(rows)} matching ({len(rows)} in all), page 1 of 1" in summary
    _, summary, gato, *_ = panel.show(ADMIN, job_id, " ", "GATO", "score", False, 1, 50)
    assert gato[0][1:3] == list(PLANTED[0])  # the best of them
    assert all("gato" in row[2] for row in gato) and len(gato) < len(rows)
    assert f"pairs 1–{len(gato)} of {len(gato)} matching" in summary
    # a page of two, the second page; the page past the end shows the last one
    _, _, second, page, _ = panel.turn_page(1)(ADMIN, job_id, None, "", "score", False, 1, 2)
    assert (second, page) == (rows[2:4], 2)
    _, _, last, page, _ = panel.show(ADMIN, job_id, None, "", "score", False, 99, 2)
    assert page == -(-len(rows) // 2) and last == rows[(page - 1) * 2 :]


def test_the_export_holds_the_filtered_pairs_in_the_table_order(
    services: Services, worker: InProcessWorker, panel: TmJobsPanel, tmp_path: Path
) -> None:
    mining_library(services, tmp_path)
    job_id = _finished_job(
        services, panel.start_mining(ADMIN, "tm-en", "en", "", "tm-es", "es", "", None, "")
    )
    filters = ("1.0", "the", "source", True, 1, 50)
    _, _, rows, *_ = panel.show(ADMIN, job_id, *filters)
    exported = Path(panel.actions.export(ADMIN, job_id, "tmx", *filters).value["path"])
    assert exported.name == f"mine-{job_id}-en-es.tmx"
    assert [[p.src, p.trg] for p in read_bitext(exported)] == [row[1:3] for row in rows]


def test_non_admins_and_bad_input_get_a_message(services: Services, panel: TmJobsPanel) -> None:
    editor = Caller("editor", Role.EDITOR)
    with pytest.raises(PermissionError, match="admins only"):
        panel.start_mining(editor, "default", "en", "", "default", "es", "", None, "")
    with pytest.raises(ValueError, match="'3x' is not a document number"):
        panel.start_mining(ADMIN, "default", "en", "3x", "default", "es", "", None, "")
    with pytest.raises(ValueError, match="no model version named 'ghost'"):
        panel.start_mining(ADMIN, "default", "en", "", "default", "es", "", None, "ghost")
    with pytest.raises(ValueError, match="Choose the target document"):
        panel.start_alignment(ADMIN, "#1", "", None, "", "")
    with pytest.raises(ValueError, match="Min score: 'high' is not a number"):
        panel.show(ADMIN, 1, "high", "", "score", False, 1, 50)
    with pytest.raises(gr.Error, match="Choose a finished mining or alignment job first"):
        panel.actions.export(ADMIN, None, "tmx", *EVERYTHING)


def _training_form(services: Services) -> tuple[TrainingPanel, list[Any]]:
    """The training form, and its values with quick settings."""
    form = TrainingPanel(services, None, on_started=lambda caller, job_id: job_id)  # type: ignore[arg-type]
    with gr.Blocks():
        form.build()
    fields = [field.name for field in (*BASIC, *ADVANCED)]
    return form, [QUICK.get(name, box.value) for name, box in zip(fields, form.inputs, strict=True)]


def test_aligned_pairs_open_in_the_training_form_and_train_a_model(
    services: Services, worker: InProcessWorker, panel: TmJobsPanel, tmp_path: Path
) -> None:
    english = ingest(services, write_side(tmp_path, "en.txt", [en for en, _ in RIVERS]), "rivers")
    spanish = ingest(services, write_side(tmp_path, "es.txt", [es for _, es in RIVERS]), "rivers")
    job_id = _finished_job(services, panel.start_alignment(ADMIN, english, "", spanish, "", ""))
    in_order = (None, "", "position", True, 1, 50)
    path, src, trg, page_tabs, admin_tabs = panel.actions.use_for_training(ADMIN, job_id, *in_order)
    assert (Path(path).suffix, src, trg) == (".tmx", "en", "es")
    # the page switches to the Admin tab, and the Admin tab to its training form
    assert (page_tabs.selected, admin_tabs.selected) == ("admin", "training")
    assert [(p.src, p.trg) for p in read_bitext(Path(path))] == RIVERS
    form, values = _training_form(services)
    report, start, _ = form.validate(ADMIN, path, src, trg, "", "", *values)
    assert start.interactive and "Ready to train" in report, report
    training_job = form.start(ADMIN, path, src, trg, "", "", None, *values)
    job = services.wait_for_job(training_job, 300)
    assert job.status == "succeeded", job
    assert job.parameters["validation"]["pairs_kept"] == len(RIVERS)


def test_mined_pairs_are_saved_as_a_translation_memory(
    services: Services, worker: InProcessWorker, panel: TmJobsPanel, tmp_path: Path
) -> None:
    mining_library(services, tmp_path)
    started = panel.start_mining(ADMIN, "tm-en", "en", "", "tm-es", "es", "", None, "")
    job_id = _finished_job(services, started)
    only_gato = (None, "gato", "score", False, 1, 50)
    _, _, rows, *_ = panel.show(ADMIN, job_id, *only_gato)
    panel.actions.save_as_memory(ADMIN, job_id, "mined pets", "tm-en", *only_gato)
    hits = services.concordance(ADMIN, "gato", tm="mined pets", limit=50)
    assert {(hit.src_text, hit.trg_text) for hit in hits} == {(r[1], r[2]) for r in rows}
    assert {(hit.src_lang, hit.trg_lang, hit.origin) for hit in hits} == {("en", "es", "mined")}
    with pytest.raises(PermissionError, match="admins only"):
        panel.actions.save_as_memory(
            Caller("editor", Role.EDITOR), job_id, "x", "tm-en", *only_gato
        )
