"""The training charts mark every point, so a run of one step shows its point (a line needs
two): the Vega-Lite spec, and the chart Chromium draws from it, also after its tab was hidden
and shown again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from browser_steps import expect, log_in, needs_chromium, open_tab, train_and_follow

from mexma_search.webapp import formatting
from mexma_search.webapp.charts import MAX_STEP_TICKS, metric_chart, step_ticks

pytestmark = [pytest.mark.timeout(300)]


def _chart(rows: list[dict[str, Any]], names: tuple[str, ...]) -> Any:
    return metric_chart(formatting.metric_frame(rows, names), "Training losses", "loss")


def _spec(chart: Any) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(chart.plot)
    return spec


ONE_STEP = [{"step": 1, "loss": 2.5, "align": 0.75}]
THREE_STEPS = [{"step": s, "loss": 3.0 / s, "align": 1.0 / s} for s in (1, 2, 3)]


def test_a_chart_marks_every_point_with_human_labels_and_whole_step_ticks() -> None:
    spec = _spec(_chart(ONE_STEP, ("loss", "align")))
    [layer] = spec["layer"]
    assert layer["mark"]["type"] == "line" and layer["mark"]["point"]
    assert spec["data"]["values"] == [
        {"step": 1, "metric": "Total loss", "value": 2.5},
        {"step": 1, "metric": "Alignment loss", "value": 0.75},
    ]
    encoding = layer["encoding"]
    assert encoding["x"]["axis"] == {"format": "d", "values": [1]}
    assert encoding["y"]["axis"]["format"] == ".3~g"
    assert encoding["color"]["scale"]["domain"] == ["Total loss", "Alignment loss"]
    assert spec["title"] == "Training losses"


def test_step_ticks_are_whole_steps_and_at_most_eight() -> None:
    assert step_ticks([{"step": s} for s in (1, 2, 3)]) == [1, 2, 3]
    ticks = step_ticks([{"step": s} for s in range(1, 51)])
    assert ticks[0] == 1 and ticks[-1] == 50 and len(ticks) == MAX_STEP_TICKS
    assert ticks == sorted(set(ticks)) and all(isinstance(t, int) for t in ticks)


def test_no_chart_before_any_value_and_no_point_that_json_cannot_carry() -> None:
    assert _chart([{"step": 1, "lr": 0.1}], ("loss",)) is None
    rows = [{"step": 1, "loss": 2.0}, {"step": 2, "loss": float("nan")}, {"step": 3, "loss": 1.0}]
    spec = _spec(_chart(rows, ("loss",)))
    assert [point["step"] for point in spec["data"]["values"]] == [1, 3]


@pytest.fixture
def chart_page(browser: Any) -> Iterator[Any]:
    """A page of two charts: one step of two metrics, and three steps of two metrics."""
    with gr.Blocks() as demo:
        gr.Plot(_chart(ONE_STEP, ("loss", "align")), elem_id="one-step")
        gr.Plot(_chart(THREE_STEPS, ("loss", "align")), elem_id="three-steps")
    _, url, _ = demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", quiet=True)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(url)
    yield page
    context.close()
    demo.close()


@needs_chromium
def test_chromium_draws_a_point_for_every_step_even_the_only_one(chart_page: Any) -> None:
    for chart, points in (("#one-step", 2), ("#three-steps", 6)):
        marks = chart_page.locator(f"{chart} svg.marks .mark-symbol.role-mark path")
        expect(marks).to_have_count(points)
    legend = chart_page.locator("#one-step svg.marks")
    expect(legend).to_contain_text("Total loss")
    expect(legend).to_contain_text("Alignment loss")


def test_a_redrawn_chart_is_a_new_spec_with_the_same_data() -> None:
    frame = formatting.metric_frame(THREE_STEPS, ("loss",))
    plain = json.loads(metric_chart(frame, "t", "y").plot)
    redrawn = [json.loads(metric_chart(frame, "t", "y", redraw=True).plot) for _ in range(2)]
    assert redrawn[0] != plain and redrawn[0] != redrawn[1]
    for spec in redrawn:
        assert spec["data"] == plain["data"] and spec["layer"] == plain["layer"]


def _chart_widths(page: Any) -> list[float]:
    charts = page.locator("#admin-loss-chart svg.marks, #admin-dev-chart svg.marks")
    expect(charts).to_have_count(2)
    return [float(chart.get_attribute("width")) for chart in charts.all()]


@needs_chromium
def test_the_job_charts_are_drawn_again_when_their_tab_is_shown_again(
    page: Any, admin_password: str, bitext: Path
) -> None:
    log_in(page, admin_password)
    open_tab(page, "Training")
    train_and_follow(page, bitext)
    drawn = _chart_widths(page)
    assert min(drawn) > 200
    # Gradio's plot narrows a chart to 0 px while its tab is hidden; shown again, the app
    # has it drawn anew at full width
    for away, back in (("Training", "Jobs"), ("Search", "Admin")):
        open_tab(page, away)
        page.wait_for_timeout(2500)  # the admin refresh ticks while the charts are hidden
        open_tab(page, back)
        expect(page.locator("#admin-loss-chart svg.marks")).not_to_have_attribute("width", "0")
        expect(page.locator("#admin-dev-chart svg.marks")).not_to_have_attribute("width", "0")
        assert _chart_widths(page) == drawn
