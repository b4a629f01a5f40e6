"""HTML of the Translation memory tab: concordance results side by side, and its notices."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from mexma_search.app.concordance import ConcordanceHit
from mexma_search.webapp.formatting import message_box, score_badge

ALIGNED_MARK = (
    '<mark class="mx-aligned" title="likely translation of the words found on the other side">'
)
NO_TMS = message_box(
    "No translation memories yet",
    "Upload a .tmx file in the Library tab (it becomes a translation memory of its collection), "
    "or run `mexma-search tm import FILE.tmx --name NAME --collection C`. Then look up how a "
    "word or sentence was translated before, in any language.",
)
TM_HINT = message_box(
    "How did we translate this before?",
    "Type a word, a term or a sentence in any language: segments whose source or translation "
    "match it are shown side by side, the words found marked. Narrow them by language pair or "
    "translation memory.",
)


def marked(text: str, spans: Sequence[Sequence[int]], aligned: Sequence[Sequence[int]] = ()) -> str:
    """``text`` with each span in a ``<mark>``, and each ``aligned`` span (a likely translation
    of the words found on the other side) in a ``<mark class="mx-aligned">``."""
    # by position, a found word before a translation mark of the same span
    styled = sorted(
        [(start, 0, end, "<mark>") for start, end in spans]
        + [(start, 1, end, ALIGNED_MARK) for start, end in aligned]
    )
    pieces, at = [], 0
    for start, _, end, tag in styled:
        if at <= start < end <= len(text):
            pieces += [escape(text[at:start]), f"{tag}{escape(text[start:end])}</mark>"]
            at = end
    return "".join([*pieces, escape(text[at:])])


def _side(hit: ConcordanceHit, side: str) -> str:
    lang = hit.src_lang if side == "src" else hit.trg_lang
    text = hit.src_text if side == "src" else hit.trg_text
    spans = hit.src_spans if side == "src" else hit.trg_spans
    aligned = hit.src_aligned if side == "src" else hit.trg_aligned
    matched = side == hit.matched_side
    role = "source" if side == "src" else "translation"
    return (
        f'<div class="mx-tm-side{" mx-tm-matched" if matched else ""}" lang="{escape(lang)}">'
        f'<span class="mx-tm-lang" title="{role}">{escape(lang)}</span>'
        f'<p class="mx-passage">{marked(text, spans, aligned)}</p></div>'
    )


def tm_card(hit: ConcordanceHit) -> str:
    """One segment: its memory, collection and origin, and its two sides (the matched one
    marked)."""
    return (
        '<article class="mx-card mx-tm">'
        '<header class="mx-card-head">'
        f'<span class="mx-doc">{escape(hit.tm)}</span>'
        f'<span class="mx-tag" title="collection">{escape(hit.collection)}</span>'
        f'<span class="mx-tag" title="origin">{escape(hit.origin)}</span>'
        f"{score_badge(hit.relevance, hit.score)}"
        "</header>"
        f'<div class="mx-tm-pair">{_side(hit, "src")}{_side(hit, "trg")}</div>'
        "</article>"
    )


def tm_results(hits: Sequence[ConcordanceHit], query: str) -> str:
    """The segments found, or a notice when none matched."""
    if not hits:
        return message_box(
            "No match",
            f"No segment matched {query!r} with these filters: try other words or remove a filter.",
        )
    legend = ""
    if any(hit.src_aligned or hit.trg_aligned for hit in hits):
        legend = (
            '<p class="mx-tm-legend"><mark>found</mark> the words of the query; '
            f"{ALIGNED_MARK}translation</mark> the words most likely to translate them</p>"
        )
    return f'<div class="mx-results">{legend}{"".join(tm_card(hit) for hit in hits)}</div>'


def pair_choices(pairs: Sequence[str]) -> list[str]:
    """The language pairs to filter by: each pair once, whichever its direction."""
    seen: set[frozenset[str]] = set()
    choices = []
    for pair in pairs:
        key = frozenset(pair.split("-"))
        if key not in seen:
            seen.add(key)
            choices.append(pair)
    return sorted(choices)
