"""The Translation memory tab's manage section: rename or delete a memory (shown to those who
may change one: admins, and editors for the memories they created), delete after a
confirmation."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import gradio as gr

from mexma_search.app.access import Caller
from mexma_search.app.services import Services
from mexma_search.app.tm_manage import TmChanged
from mexma_search.store import TmSummary
from mexma_search.webapp import notices
from mexma_search.webapp.confirm import Confirmation
from mexma_search.webapp.sessions import UserSessions


def choice(memory: TmSummary) -> tuple[str, str]:
    """A memory as a dropdown choice: its label and the value naming it (collection, name)."""
    label = f"{memory.collection}/{memory.name} ({memory.segments} pairs)"
    return label, json.dumps([memory.collection, memory.name])


def _named(value: str | None) -> tuple[str, str]:
    """The (collection, name) of a chosen memory; ValueError when none is chosen."""
    if not value:
        raise ValueError("Choose a translation memory first.")
    collection, name = json.loads(value)
    return str(collection), str(name)


def done(changed: TmChanged) -> str:
    """The notice after a rename or deletion."""
    where = f"{changed.collection}/{changed.name}"
    if changed.new_name is None:
        return notices.message_box("Deleted", f"{where} and its {changed.segments} pairs.")
    return notices.message_box("Renamed", f"{where} is now called {changed.new_name}.")


class TmManagePanel:
    """Builds the section and wires it; ``then`` refreshes the rest of the tab after a change."""

    def __init__(self, services: Services, sessions: UserSessions) -> None:
        self.services = services
        self.sessions = sessions

    def build(self) -> None:
        with gr.Column(visible=False, elem_id="tm-manage") as self.section:
            gr.Markdown("### Manage translation memories")
            with gr.Row(equal_height=True):
                self.memory = gr.Dropdown(
                    label="Translation memory", choices=[], scale=3, elem_id="tm-manage-name"
                )
                self.new_name = gr.Textbox(
                    label="New name", scale=3, max_lines=1, elem_id="tm-manage-new-name"
                )
                self.rename_button = gr.Button("Rename", scale=1, elem_id="tm-rename")
                self.delete_button = gr.Button(
                    "Delete…", variant="stop", scale=1, elem_id="tm-delete"
                )
            self.confirm = Confirmation("tm-confirm-delete", "Delete")
            self.status = gr.HTML(elem_id="tm-manage-status", elem_classes="mx-tm-manage-status")

    def wire(self, then: Callable[[gr.events.Dependency], Any]) -> None:
        """Connect the buttons; ``then(event)`` chains the tab's refresh after a change."""
        with_caller = self.sessions.with_caller
        then(
            self.rename_button.click(
                with_caller(self.rename),
                inputs=[self.memory, self.new_name],
                outputs=[self.status, self.new_name],
                api_visibility="private",
            )
        )
        self.delete_button.click(
            with_caller(self.ask_delete),
            inputs=self.memory,
            outputs=self.confirm.ask_outputs,
            api_visibility="private",
        )
        self.memory.change(self.confirm.hide, outputs=self.confirm.box, api_visibility="private")
        then(
            self.confirm.on_confirm(
                with_caller(self.delete),
                inputs=self.memory,
                outputs=self.status,
                api_visibility="private",
            )
        )

    @property
    def refresh_outputs(self) -> list[Any]:
        """What :meth:`refresh` updates: the section's visibility and its memory choices."""
        return [self.section, self.memory]

    def refresh(self, caller: Caller) -> tuple[Any, ...]:
        """Shown with the memories ``caller`` may change, hidden when there is none."""
        memories = self.services.manageable_tms(caller)
        return (
            gr.Column(visible=bool(memories)),
            gr.Dropdown(choices=[choice(memory) for memory in memories], value=None),
        )

    def rename(self, caller: Caller, value: str | None, new_name: str) -> tuple[str, str]:
        """Rename the chosen memory; the notice, and the new-name box emptied."""
        collection, name = _named(value)
        changed = self.services.rename_tm(caller, name, new_name, collection=collection)
        return done(changed), ""

    def ask_delete(self, caller: Caller, value: str | None) -> tuple[Any, str]:
        """Ask before deleting the chosen memory."""
        collection, name = _named(value)
        memory = next(
            (
                m
                for m in self.services.manageable_tms(caller)
                if (m.collection, m.name) == (collection, name)
            ),
            None,
        )
        if memory is None:
            raise ValueError(f"no translation memory named {name!r} that you may delete")
        return Confirmation.ask(
            notices.question(
                f"Delete translation memory {collection}/{name}?",
                f"Its {memory.segments} pairs leave the store and the index; the other "
                "memories stay as they are. This cannot be undone.",
            )
        )

    def delete(self, caller: Caller, value: str | None) -> str:
        """Delete the chosen memory; the notice."""
        collection, name = _named(value)
        return done(self.services.delete_tm(caller, name, collection=collection))
