"""Values written for people, the same in the UI, the CLI and job messages."""

from __future__ import annotations

from datetime import datetime

from mexma_search.encoder.config import DEFAULT_MODEL_NAME


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


def format_time(moment: datetime | None) -> str:
    """A moment to the second, ``2026-12-05 22:44:40`` (empty for None)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def counted(count: int, noun: str) -> str:
    """``count`` and ``noun``, plural unless one: ``1 passage``, ``3 passages``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def model_description(name: str, base: str | None) -> str:
    """What a model version is, honestly: the default model is multilingual-e5-small and not
    MEXMA weights; a fine-tuned version names what it was trained from."""
    if name == DEFAULT_MODEL_NAME:
        return f"multilingual-e5-small, not MEXMA weights (version {name})"
    if base:
        return f"{name}, fine-tuned from {base} with the MEXMA objective"
    return name
