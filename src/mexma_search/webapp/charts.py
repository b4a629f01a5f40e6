"""The training charts: Vega-Lite line charts with a marker at every point (a run of one step
is one point, which a bare line would not draw), for ``gr.Plot``, which themes them like the
rest of the page and fits them to its width."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import pandas as pd
from gradio.components.plot import AltairPlotData

CHART_HEIGHT = 220
MAX_STEP_TICKS = 8
# placeholders: Gradio's plot replaces them with its theme's colours, one per metric
_COLOURS = ["#f97316", "#3b82f6", "#22c55e", "#ef4444", "#a855f7", "#eab308", "#14b8a6"]


def metric_chart(
    frame: pd.DataFrame | None, title: str, y_title: str, *, redraw: bool = False
) -> AltairPlotData | None:
    """A line per metric of a long-format ``step, metric, value`` frame, each point marked;
    whole-number step ticks, 3-significant-digit value ticks. None without a frame; points
    whose value is not finite (a diverged loss) are left out, as JSON cannot carry them.

    ``redraw`` makes the spec differ from any sent before, so the page draws the chart anew,
    for a chart whose tab is shown again: Gradio's plot narrows a drawn chart to its hidden
    tab's width (0) and, finding on return the width it first drew at, never widens it back;
    an unchanged spec is not drawn again, a new one is."""
    if frame is None:
        return None
    points = [
        {"step": int(row["step"]), "metric": str(row["metric"]), "value": float(row["value"])}
        for row in frame.to_dict(orient="records")
        if math.isfinite(row["value"])
    ]
    spec = _spec(points, title, y_title)
    if redraw:
        spec["usermeta"]["drawn"] = time.monotonic_ns()
    return AltairPlotData(chart="line", plot=json.dumps(spec))


def _spec(points: list[dict[str, Any]], title: str, y_title: str) -> dict[str, Any]:
    metrics = list(dict.fromkeys(point["metric"] for point in points))
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        # SVG like Gradio's other plots (and its marks are elements a test can find)
        "usermeta": {"embedOptions": {"renderer": "svg", "actions": False}},
        "title": title,
        "height": CHART_HEIGHT,
        "data": {"values": points},
        "layer": [
            {
                "mark": {
                    "type": "line",
                    "point": {"filled": True, "size": 50, "strokeOpacity": 0},
                    "tooltip": True,
                },
                "encoding": {
                    "x": {
                        "field": "step",
                        "type": "quantitative",
                        "title": "step",
                        # whole steps only: "d" would print a tick at 1.5 as a second "2"
                        "axis": {"format": "d", "values": step_ticks(points)},
                        "scale": {"zero": False},
                    },
                    "y": {
                        "field": "value",
                        "type": "quantitative",
                        "title": y_title,
                        "axis": {"format": ".3~g"},
                        "scale": {"zero": False},
                    },
                    "color": {
                        "field": "metric",
                        "type": "nominal",
                        "title": None,
                        "legend": {"orient": "bottom", "direction": "vertical"},
                        "scale": {"domain": metrics, "range": _COLOURS[: max(1, len(metrics))]},
                    },
                    "tooltip": [
                        {"field": "metric", "type": "nominal"},
                        {"field": "step", "type": "quantitative", "format": "d"},
                        {"field": "value", "type": "quantitative", "format": ".4~g"},
                    ],
                },
            }
        ],
    }


def step_ticks(points: list[dict[str, Any]]) -> list[int]:
    """The x axis's tick values: every step, or at most ``MAX_STEP_TICKS`` whole steps evenly
    spread from the first to the last."""
    steps = sorted({int(point["step"]) for point in points})
    if len(steps) <= MAX_STEP_TICKS:
        return steps
    first, last = steps[0], steps[-1]
    spread = (last - first) / (MAX_STEP_TICKS - 1)
    return sorted({round(first + spread * i) for i in range(MAX_STEP_TICKS)})
