"""A confirmation step for destructive actions: the action's button only asks (a notice with
what will happen, and Confirm / Keep buttons); Confirm runs the action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr
from gradio.events import Dependency

from mexma_search.webapp.errors import shows_errors


class Confirmation:
    """The box that asks; build it inside the layout where it should appear."""

    def __init__(self, elem_id: str, confirm_label: str) -> None:
        with gr.Column(visible=False, elem_id=elem_id, elem_classes="mx-confirm") as self.box:
            self.question = gr.HTML()
            with gr.Row():
                self.confirm = gr.Button(
                    confirm_label, variant="stop", scale=0, elem_id=f"{elem_id}-yes"
                )
                self.keep = gr.Button("Keep", scale=0, elem_id=f"{elem_id}-no")
        self.keep.click(shows_errors(self.hide), outputs=self.box, api_visibility="private")

    @property
    def ask_outputs(self) -> list[Any]:
        """What an asking handler returns: see :meth:`ask`."""
        return [self.box, self.question]

    @staticmethod
    def ask(question_html: str) -> tuple[Any, str]:
        """Show the box with ``question_html`` (built by webapp.formatting)."""
        return gr.Column(visible=True), question_html

    @staticmethod
    def hide() -> Any:
        """Close the box (the user kept things as they are, or the action ran)."""
        return gr.Column(visible=False)

    def on_confirm(self, handler: Callable[..., Any], **event: Any) -> Dependency:
        """Run ``handler`` when Confirm is clicked (the box closes first); its event."""
        return self.confirm.click(
            self.hide, outputs=self.box, api_visibility="private", queue=False
        ).then(handler, **event)
