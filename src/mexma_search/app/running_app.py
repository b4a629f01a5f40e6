"""Where a running ``serve`` can be reached, so that CLI commands can ask it instead of
opening the embedded index it holds.

``serve`` records its local URL, process id and operator token in ``<data_dir>/serve.json``
(readable by its owner only) once it listens, and removes the record when it stops; a record
whose process is gone is ignored. The token lets a command that can read the data directory ask
the app as the operator (every collection), as it would without a running app.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from mexma_search.app.processes import is_alive
from mexma_search.app.settings import Settings

RECORD = "serve.json"
# the header that carries the operator token to the local routes
OPERATOR_HEADER = "X-Mexma-Operator"
# the running app's JSON search route (mexma_search.webapp.local_api)
SEARCH_PATH = "/api/search"


def _record(settings: Settings) -> Path:
    return settings.data_dir / RECORD


def announce_running_app(settings: Settings, url: str, token: str) -> None:
    """Record that this process serves the app at ``url`` and takes ``token`` from the
    operator."""
    settings.ensure_dirs()
    record = _record(settings)
    temporary = record.with_name(f".{RECORD}.tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(json.dumps({"url": url, "pid": os.getpid(), "token": token}))
    temporary.replace(record)


def forget_running_app(settings: Settings) -> None:
    """Remove this process's record (another process's is left alone)."""
    record = _record(settings)
    if _read(record).get("pid") == os.getpid():
        record.unlink(missing_ok=True)


def running_app_url(settings: Settings) -> str | None:
    """The URL of the app serving ``settings.data_dir``, or None when none runs."""
    url = _live_record(settings).get("url")
    return url if isinstance(url, str) else None


def running_app_token(settings: Settings) -> str | None:
    """The operator token of the app serving ``settings.data_dir``, or None."""
    token = _live_record(settings).get("token")
    return token if isinstance(token, str) and token else None


def _live_record(settings: Settings) -> dict[str, object]:
    found = _read(_record(settings))
    pid = found.get("pid")
    return found if isinstance(pid, int) and is_alive(pid) else {}


def _read(record: Path) -> dict[str, object]:
    try:
        found = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}
