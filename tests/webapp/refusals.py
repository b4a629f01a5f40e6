"""How a test reads a refused event from the raw queue protocol."""

from __future__ import annotations

from typing import Any


def refused(message: dict[str, Any], reason: str = "Admin login required") -> bool:
    """True when an event (see ``RawQueueClient.call``) showed a toast naming ``reason`` and
    changed no output, or (for an event that raises) failed with ``reason``."""
    if message["success"] is False:
        return reason in str(message["output"])
    outputs = message["output"]["data"]
    return any(reason in toast for toast in message["toasts"]) and not any(
        map(_sets_a_value, outputs)
    )


def _sets_a_value(output: Any) -> bool:
    """An output that is neither empty nor an update without a value (a skipped output)."""
    if output is None:
        return False
    return not (isinstance(output, dict) and output.get("__type__") == "update") or (
        "value" in output
    )
