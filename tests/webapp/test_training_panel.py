"""The training form shows the backend's defaults: a job started from the untouched form
trains exactly as a job given no parameters. An uploaded bitext offers its columns (TSV/CSV)
or languages (TMX), and the chosen ones reach the validation report."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import pytest

from mexma_search.app.access import Caller, Role
from mexma_search.app.services import Services
from mexma_search.app.settings import Settings
from mexma_search.app.training_params import FINE_TUNING_DEFAULTS, job_parameters, training_config
from mexma_search.encoder.bitext import BitextFields
from mexma_search.webapp.training_panel import (
    ADVANCED,
    BASIC,
    TrainingPanel,
    column_choices,
    form_parameters,
)

PAIRS_KEPT = 1000
ADMIN = Caller("ada", Role.ADMIN)


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
        FINE_TUNING_DEFAULTS["learning_rate"],
        False,
    )
    assert shown["mlm_weight"] == 0.0


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


BITEXT = Path(__file__).resolve().parents[1] / "fixtures" / "bitext"


def _panel(services: Services) -> TrainingPanel:
    panel = TrainingPanel(services, gr.State(), on_started=lambda job_id: None)
    with gr.Blocks():
        panel.build()
    return panel


def _choices(update: Any) -> list[tuple[str, str]]:
    return [tuple(choice) for choice in update.constructor_args["choices"]]


def test_an_uploaded_file_offers_its_columns_or_languages(services: Services) -> None:
    panel = _panel(services)
    src_column, trg_column, src_lang, trg_lang = panel.offer_fields(
        ADMIN, str(BITEXT / "sample.tsv")
    )
    assert _choices(src_column) == [("automatic", ""), ("ref", "ref"), ("en", "en"), ("es", "es")]
    assert _choices(trg_column) == _choices(src_column)
    assert _choices(src_lang) == [("automatic", "")]
    _, _, src_lang, trg_lang = panel.offer_fields(ADMIN, str(BITEXT / "sample.tmx"))
    assert _choices(trg_lang) == [
        ("automatic", ""),
        ("en (5 segments)", "en"),
        ("es (5 segments)", "es"),
    ]
    cleared = panel.offer_fields(ADMIN, None)
    assert all(_choices(update) == [("automatic", "")] for update in cleared)


def test_a_headerless_table_offers_its_column_positions() -> None:
    fields = BitextFields("tsv", (), header=False, width=3)
    assert column_choices(fields) == [
        ("column 1 of 3", "0"),
        ("column 2 of 3", "1"),
        ("column 3 of 3", "2"),
    ]


def test_the_chosen_columns_and_languages_reach_the_report(services: Services) -> None:
    panel = _panel(services)
    defaults = [box.value for box in panel.inputs]
    tsv = str(BITEXT / "sample.tsv")
    report, _, _ = panel.validate(ADMIN, tsv, "", "", "es", "en", *defaults)
    assert "columns: es (source), en (target), ref (pair id) of ref, en, es" in report
    assert "languages: es → en (5 pairs)" in report
    report, _, _ = panel.validate(ADMIN, tsv, "", "", "", "", *defaults)
    assert "columns: en (source), es (target), ref (pair id) of ref, en, es" in report
    tmx = str(BITEXT / "sample.tmx")
    report, _, _ = panel.validate(ADMIN, tmx, "es", "en", "", "", *defaults)
    assert "TMX variants: es (source), en (target) of en (5), es (5)" in report
