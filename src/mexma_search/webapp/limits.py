"""Gradio queue groups: each kind of event has its own concurrency limit, so searches never
wait behind uploads, polling or logins (jobs themselves run in the backend's workers)."""

from typing import Any

SEARCH: dict[str, Any] = {"concurrency_id": "search", "concurrency_limit": 4}
UPLOAD: dict[str, Any] = {"concurrency_id": "upload", "concurrency_limit": 2}
# progress polling of every open page (timers) and /job_status
POLL: dict[str, Any] = {"concurrency_id": "poll", "concurrency_limit": 8}
# one at a time: with the delay after a failed login this slows password guessing
LOGIN: dict[str, Any] = {"concurrency_id": "login", "concurrency_limit": 1}
