"""Values written for people, the same in the UI, the CLI and job messages."""

from __future__ import annotations


def format_duration(seconds: float) -> str:
    """A short duration: ``45 s``, ``3 min 5 s``, ``2 h 10 min``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
