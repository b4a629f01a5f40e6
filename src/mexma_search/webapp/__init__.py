"""The Gradio web UI: a thin layer that calls :class:`mexma_search.app.services.Services`."""

import os

# Gradio reads this when it starts and launches: no telemetry or version check leaves the machine.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
