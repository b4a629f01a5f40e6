"""The Gradio web UI: a thin layer that calls :class:`worker.services.Services`."""

import os

# Gradio reads this when it starts and launches: no telemetry or version check leaves the machine.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
