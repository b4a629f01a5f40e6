"""The Translation memory tab's manage section with the tiny model: shown to admins and owners
only, rename with its refusals shown as messages, delete after a confirmation."""

from __future__ import annotations

import json

import gradio as gr
import pytest

from mexma_search.app.access import OPERATOR, Caller, Role
from mexma_search.app.services import Services
from mexma_search.store import NewSegment
from mexma_search.webapp.sessions import UserSessions
from mexma_search.webapp.tm_manage_panel import TmManagePanel
from mexma_search.webapp.tm_tab import TmTab

PAIRS = [NewSegment("en", "es", "The bakery opens at six.", "La panadería abre a las seis.")]
EVA = Caller("eva", Role.EDITOR, frozenset({"team"}), frozenset({"team"}))
RUI = Caller("rui", Role.READER, frozenset({"team"}), frozenset())


@pytest.fixture
def panel(services: Services) -> TmManagePanel:
    return TmManagePanel(services, UserSessions(services.caller_for_user, lambda: None))


def _value(collection: str, name: str) -> str:
    return json.dumps([collection, name])


def test_the_section_shows_the_memories_the_caller_may_change(
    panel: TmManagePanel, services: Services
) -> None:
    services.add_pairs_to_tm(EVA, "eva-tm", "team", PAIRS, "import")
    services.add_pairs_to_tm(None, "ops-tm", "team", PAIRS, "import")
    section, memories = panel.refresh(EVA)
    assert section.visible is True
    assert memories.choices == [("team/eva-tm (1 pairs)", _value("team", "eva-tm"))]
    section, memories = panel.refresh(RUI)
    assert section.visible is False and memories.choices == []
    _, memories = panel.refresh(OPERATOR)
    assert [label for label, _ in memories.choices] == [
        "team/eva-tm (1 pairs)",
        "team/ops-tm (1 pairs)",
    ]


def test_rename_then_delete_after_confirming(panel: TmManagePanel, services: Services) -> None:
    services.add_pairs_to_tm(EVA, "eva-tm", "team", PAIRS, "import")
    services.add_pairs_to_tm(EVA, "other", "team", PAIRS, "import")
    notice, emptied = panel.rename(EVA, _value("team", "eva-tm"), "bakery")
    assert "team/eva-tm is now called bakery" in notice and emptied == ""
    with pytest.raises(ValueError, match="already has a translation memory named 'other'"):
        panel.rename(EVA, _value("team", "bakery"), "other")
    with pytest.raises(ValueError, match="Choose a translation memory first"):
        panel.rename(EVA, None, "x")
    box, question = panel.ask_delete(EVA, _value("team", "bakery"))
    assert box.visible is True and "Delete translation memory team/bakery?" in question
    assert "1 pairs leave the store and the index" in question
    assert [m.name for m in services.list_tms()] == ["bakery", "other"]  # asking deletes nothing
    assert "team/bakery and its 1 pairs" in panel.delete(EVA, _value("team", "bakery"))
    assert [m.name for m in services.list_tms()] == ["other"]
    with pytest.raises(ValueError, match="that you may delete"):
        panel.ask_delete(RUI, _value("team", "other"))


def test_the_tab_refreshes_the_section_with_its_filters(services: Services) -> None:
    tab = TmTab(services, UserSessions(services.caller_for_user, lambda: None))
    services.add_pairs_to_tm(EVA, "eva-tm", "team", PAIRS, "import")
    *_, section, memories = tab.refresh(EVA)
    assert isinstance(section, gr.Column) and section.visible is True
    assert len(memories.choices) == 1
