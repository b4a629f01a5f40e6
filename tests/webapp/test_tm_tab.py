"""The Translation memory tab's handlers with the tiny model: the empty states, results side
by side with the words marked, filters with "any", and a caller who may read nothing."""

from __future__ import annotations

import re

import gradio as gr
import pytest

from mexma_search.app.access import OPERATOR, Caller, Role
from mexma_search.app.services import Services
from mexma_search.store import NewSegment
from mexma_search.webapp.sessions import UserSessions
from mexma_search.webapp.tm_formatting import NO_TMS, TM_HINT, marked, pair_choices
from mexma_search.webapp.tm_tab import TmTab

PAIRS = [
    NewSegment("en", "es", "The bakery opens at six.", "La panadería abre a las seis."),
    NewSegment("fr", "en", "La boulangerie <b>ouvre</b>.", "The bakery opens."),
]
NOBODY = Caller("olga", Role.READER, readable=frozenset(), writable=frozenset())


@pytest.fixture
def tab(services: Services) -> TmTab:
    return TmTab(services, UserSessions(services.caller_for_user, lambda: None))


def test_without_memories_the_tab_says_how_to_add_one(tab: TmTab) -> None:
    pairs, names, notice, *_ = tab.refresh(OPERATOR)
    assert pairs.choices == names.choices == [("any", "")]
    assert notice == NO_TMS and "tm import" in NO_TMS
    assert tab.run(OPERATOR, "bakery", "", "", 10) == NO_TMS


def test_results_show_both_sides_with_the_words_marked(tab: TmTab, services: Services) -> None:
    services.add_pairs_to_tm(None, "shop", "docs", PAIRS, "import")
    pairs, names, notice, *_ = tab.refresh(OPERATOR)
    assert pairs.choices == [("any", ""), ("en-es", "en-es"), ("fr-en", "fr-en")]
    assert names.choices == [("any", ""), ("shop", "shop")]
    assert notice == TM_HINT and tab.run(OPERATOR, "  ", "", "", 10) == TM_HINT
    html = tab.run(OPERATOR, "panadería", "", "", 10)
    assert html.count('class="mx-card mx-tm"') == 2
    first = html.split('class="mx-card mx-tm"')[1]
    assert '<div class="mx-tm-side mx-tm-matched" lang="es">' in first
    # (the source side may carry translation marks: the tiny model's links mean nothing)
    assert "<mark>panadería</mark>" in first
    assert "The bakery opens at six." in re.sub("<[^>]+>", "", first)
    # the texts are escaped
    assert "&lt;b&gt;ouvre&lt;/b&gt;" in html and "<b>ouvre" not in html
    only_french = tab.run(OPERATOR, "bakery", "en-fr", "shop", 10)
    assert only_french.count("mx-card mx-tm") == 1 and 'lang="fr"' in only_french
    with pytest.raises(gr.Error, match="language pair"):
        tab.run(OPERATOR, "bakery", "french", "", 10)


def test_a_caller_who_may_read_no_memory_sees_the_empty_state(
    tab: TmTab, services: Services
) -> None:
    services.add_pairs_to_tm(None, "shop", "docs", PAIRS, "import")
    pairs, names, notice, *_ = tab.refresh(NOBODY)
    assert pairs.choices == names.choices == [("any", "")] and notice == NO_TMS
    assert tab.run(NOBODY, "bakery", "", "", 10) == NO_TMS


def test_marks_and_pairs() -> None:
    assert marked("a <b> c", [(0, 1), (6, 7)]) == "<mark>a</mark> &lt;b&gt; <mark>c</mark>"
    assert marked("abc", [(2, 9)]) == "abc"  # a span past the text is ignored
    aligned = marked("la casa", [], [(3, 7)])
    assert aligned.startswith('la <mark class="mx-aligned"') and aligned.endswith(">casa</mark>")
    # a found word wins over a translation mark on the same span
    assert marked("casa", [(0, 4)], [(0, 4)]) == "<mark>casa</mark>"
    assert pair_choices(["es-en", "en-es", "en-fr"]) == ["en-fr", "es-en"]


def test_the_mining_panel_reads_nothing_for_a_non_admin(tab: TmTab) -> None:
    # its lists are read when anyone opens the tab: only an admin's change anything
    reader = Caller("rita", Role.READER, readable=frozenset({"docs"}), writable=frozenset())
    for caller in (reader, NOBODY):
        assert tab.jobs.choices(caller) == (gr.skip(),) * 7
    collections, *_, jobs, models = tab.jobs.choices(OPERATOR)
    assert isinstance(collections, gr.Dropdown) and isinstance(jobs, gr.Dropdown)
    assert isinstance(models, gr.Dropdown) and models.choices[0][1] == ""  # the live model
