"""The training form shows the backend's defaults: a job started from the untouched form
trains exactly as a job given no parameters."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import pytest

from mexma_search.app.settings import Settings
from mexma_search.app.training_params import job_parameters, training_config
from mexma_search.webapp.training_panel import ADVANCED, BASIC, TrainingPanel, form_parameters

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
    sent = form_parameters(list(shown.values()))
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


def test_fields_whose_default_depends_on_the_data_start_empty(tmp_path: Path) -> None:
    shown = _shown_values(Settings(data_dir=tmp_path))
    # a number box would send 0 ("held_out must be at least 4 pairs, got 0")
    assert (shown["held_out"], shown["max_steps"]) == ("", "")
    assert "held_out" not in form_parameters(list(shown.values()))


def test_typed_numbers_are_sent_and_bad_ones_named(tmp_path: Path) -> None:
    shown = _shown_values(Settings(data_dir=tmp_path))
    typed = {**shown, "held_out": " 40 ", "max_steps": "12"}
    params = form_parameters(list(typed.values()))
    assert (params["held_out"], params["max_steps"]) == (40, 12)
    with pytest.raises(ValueError, match=r"Held-out pairs: 'ten' is not a whole number"):
        form_parameters(list({**shown, "held_out": "ten"}.values()))
