"""The training form shows the backend's defaults: a job started from the untouched form
trains exactly as a job given no parameters."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr

from mexma_search.app.settings import Settings
from mexma_search.app.training_params import job_parameters, training_config
from mexma_search.webapp.training_panel import ADVANCED, BASIC, TrainingPanel

PAIRS_KEPT = 1000


def _shown_values(settings: Settings) -> dict[str, Any]:
    services: Any = SimpleNamespace(settings=settings)
    panel = TrainingPanel(services, gr.State(), on_started=lambda job_id: None)
    with gr.Blocks():
        panel.build()
    return {
        field.name: box.value for field, box in zip((*BASIC, *ADVANCED), panel.inputs, strict=True)
    }


def test_the_untouched_form_trains_as_a_job_without_parameters(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, train_batch_size=7)
    shown = _shown_values(settings)
    sent = {name: value for name, value in shown.items() if value is not None}
    from_form = job_parameters(sent, settings, PAIRS_KEPT)
    untouched = job_parameters({}, settings, PAIRS_KEPT)
    assert (from_form.pop("gpus"), from_form["held_out"]) == (1, untouched["held_out"])
    assert training_config(from_form, tmp_path, settings, model_name="m") == training_config(
        untouched, tmp_path, settings, model_name="m"
    )
    assert (shown["batch_size"], shown["learning_rate"], shown["token_gradient"]) == (
        7,
        3e-5,
        False,
    )
