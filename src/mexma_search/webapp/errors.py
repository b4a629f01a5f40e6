"""The one place where a UI handler's failure becomes a message for the user.

Gradio marks every output of a failed event with a red "Error" badge in place of the
component, so a handler whose outputs are shown is wrapped in :func:`shows_errors`: its failure
becomes a toast and its outputs keep their values. The first step of a ``.success()`` chain
and the public API functions are wrapped in :func:`raises_errors` instead: the failure stops
the chain and reaches an API client as an error (their outputs are not shown on the page).

Bad input (``ValueError``, ``LookupError``, or a ``gr.Error`` raised by the handler) is shown
with its own message; anything else is logged with its traceback and shown as a generic
message, so no server detail (paths, internals) reaches the page.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from html import escape
from typing import Any, ParamSpec, TypeVar

import gradio as gr

from mexma_search.webapp.formatting import ui_error

P = ParamSpec("P")
R = TypeVar("R")
logger = logging.getLogger(__name__)
UNEXPECTED = "Something went wrong on the server; the details are in its log. Please try again."
TOAST_TITLE = "Not done"
TOAST_SECONDS = 8


def user_message(handler: Callable[..., Any], exc: Exception) -> str:
    """What the user reads about ``exc`` raised by ``handler`` (logged when unexpected)."""
    if isinstance(exc, gr.Error):
        return str(exc.message)
    if isinstance(exc, ValueError | LookupError):
        return str(exc)
    logger.error("UI handler %s failed", getattr(handler, "__name__", handler), exc_info=exc)
    return UNEXPECTED


def shows_errors(handler: Callable[P, R]) -> Callable[P, R]:
    """``handler`` whose failure shows a toast and leaves its outputs unchanged."""

    @functools.wraps(handler)
    def shown(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return handler(*args, **kwargs)
        except Exception as exc:
            message = user_message(handler, exc)
            # a toast renders its message as HTML; a gr.Error's (from ui_error) is escaped
            shown_text = message if isinstance(exc, gr.Error) else escape(message)
            gr.Warning(shown_text, title=TOAST_TITLE, duration=TOAST_SECONDS)
            skipped: R = gr.skip()
            return skipped

    return shown


def raises_errors(handler: Callable[P, R]) -> Callable[P, R]:
    """``handler`` whose failure is raised as a ``gr.Error`` with the user's message."""

    @functools.wraps(handler)
    def raised(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return handler(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:
            raise ui_error(user_message(handler, exc)) from exc

    return raised
