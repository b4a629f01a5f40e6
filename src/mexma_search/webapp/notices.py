"""The notices, confirmation questions and errors the web app shows, their text escaped."""

from __future__ import annotations

from html import escape

import gradio as gr


def ui_error(text: str) -> gr.Error:
    """A ``gr.Error`` for the user; Gradio renders its message as HTML, so it is escaped."""
    return gr.Error(escape(text), print_exception=False)


def message_box(title: str, body: str) -> str:
    """A notice (empty states, no results); ``body`` is plain text."""
    return f'<div class="mx-notice"><strong>{escape(title)}</strong><p>{escape(body)}</p></div>'


def question(title: str, body: str, warning: str = "") -> str:
    """A confirmation question (see webapp.confirm): what will happen, and a warning if any."""
    warned = f'<p class="mx-warning">{escape(warning)}</p>' if warning else ""
    return (
        f'<div class="mx-notice mx-question"><strong>{escape(title)}</strong>'
        f"<p>{escape(body)}</p>{warned}</div>"
    )
