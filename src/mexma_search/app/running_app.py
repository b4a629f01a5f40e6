"""Where a running ``serve`` can be reached, so that CLI commands can ask it instead of
opening the embedded index it holds.

``serve`` records its local URL and process id in ``<data_dir>/serve.json`` once it listens,
and removes the record when it stops; a record whose process is gone is ignored.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from mexma_search.app.processes import is_alive
from mexma_search.app.settings import Settings

RECORD = "serve.json"
# where the running app serves its HTTP API (mexma_search.webapp.api)
API_PREFIX = "/api"


def _record(settings: Settings) -> Path:
    return settings.data_dir / RECORD


def announce_running_app(settings: Settings, url: str) -> None:
    """Record that this process serves the app at ``url``."""
    settings.ensure_dirs()
    record = _record(settings)
    temporary = record.with_name(f".{RECORD}.tmp")
    temporary.write_text(json.dumps({"url": url, "pid": os.getpid()}), encoding="utf-8")
    temporary.replace(record)


def forget_running_app(settings: Settings) -> None:
    """Remove this process's record (another process's is left alone)."""
    record = _record(settings)
    if _read(record).get("pid") == os.getpid():
        record.unlink(missing_ok=True)


def running_app_url(settings: Settings) -> str | None:
    """The URL of the app serving ``settings.data_dir``, or None when none runs."""
    found = _read(_record(settings))
    pid, url = found.get("pid"), found.get("url")
    if not isinstance(pid, int) or not isinstance(url, str) or not is_alive(pid):
        return None
    return url


def _read(record: Path) -> dict[str, object]:
    try:
        found = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}
