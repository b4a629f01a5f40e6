"""Search results as the Search tab shows them: result cards with the matched sentence marked,
their relevance badges, the page of them and its notices."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from mexma_search.app.relevance import RELEVANCE_LABELS
from mexma_search.app.views import SearchPage, SearchResult
from mexma_search.webapp.notices import message_box

EMPTY_INDEX = message_box(
    "Nothing is indexed yet",
    "Upload documents in the Library tab (text, Markdown, HTML, PDF, Word, CSV, JSONL, TMX or a "
    "zip of them) and search them here in any language, or restart with "
    "`mexma-search serve --demo` to load a small multilingual sample corpus.",
)

SEARCH_HINT = message_box(
    "Search in any language",
    "Type a question or a few words above and press Enter or Search: passages with the same "
    "meaning are found in every language. Narrow the results with the filters (empty: any).",
)


def highlighted_passage(result: SearchResult) -> str:
    """The passage with its best-matching sentence in a ``<mark>`` (unless it is the whole
    passage)."""
    text = result.text
    start, end = result.sentence_start, result.sentence_end
    if not 0 <= start < end <= len(text) or (start, end) == (0, len(text)):
        return escape(text)
    return f"{escape(text[:start])}<mark>{escape(text[start:end])}</mark>{escape(text[end:])}"


def relevance_badge(result: SearchResult) -> str:
    """The result's relevance label, its score in the tooltip (the score itself for a model
    without labels)."""
    return score_badge(result.relevance, result.score)


def score_badge(relevance: str, score: float) -> str:
    """A match's ``relevance`` label with its cosine ``score`` in the tooltip (the score
    itself when there is no label)."""
    label = RELEVANCE_LABELS.get(relevance)
    if label is None:
        return f'<span class="mx-score" title="cosine similarity">{score:.3f}</span>'
    return (
        f'<span class="mx-relevance mx-rel-{escape(relevance)}" '
        f'title="cosine similarity {score:.3f}">{escape(label)}</span>'
    )


def _document_name(result: SearchResult) -> str:
    """The document's title, with its file name beside it when they differ."""
    title = result.document_title or result.document
    file = (
        f'<span class="mx-file">{escape(result.document)}</span>'
        if title != result.document
        else ""
    )
    return f'<span class="mx-doc">{escape(title)}</span>{file}'


def result_card(result: SearchResult) -> str:
    """One search result: document, language, relevance, passage, and a button for the
    document's other hits (read by the card list's click handler through ``data-document``)."""
    return (
        '<article class="mx-card">'
        '<header class="mx-card-head">'
        f"{_document_name(result)}"
        f'<span class="mx-tag" title="language">{escape(result.lang or "?")}</span>'
        f'<span class="mx-tag" title="collection">{escape(result.collection)}</span>'
        f"{relevance_badge(result)}"
        "</header>"
        f'<p class="mx-passage">{highlighted_passage(result)}</p>'
        f"{_also_in_document(result.passages)}"
        f'<button class="mx-more" type="button" data-document="{result.document_id}">'
        "More from this document</button>"
        "</article>"
    )


def _also_in_document(passages: Sequence[SearchResult]) -> str:
    """The document's next best passages, folded under one line."""
    if not passages:
        return ""
    label = "1 more passage" if len(passages) == 1 else f"{len(passages)} more passages"
    shown = "".join(
        f'<p class="mx-passage"><span class="mx-score">{p.score:.3f}</span> '
        f"{highlighted_passage(p)}</p>"
        for p in passages
    )
    return (
        f'<details class="mx-also"><summary>{label} from this document</summary>{shown}</details>'
    )


def result_cards(results: Sequence[SearchResult], query: str) -> str:
    """The result list, or a notice when nothing matched."""
    if not results:
        return message_box(
            "No results", f"Nothing matched {query!r} with these filters: try removing some."
        )
    cards = "".join(result_card(result) for result in results)
    return f'<div class="mx-results">{cards}</div>'


def result_page(page: SearchPage, query: str) -> str:
    """A page of results: the cards, and a notice for the matches under the relevance floor
    (all of them on a first page with nothing better: "no good match")."""
    hidden = "1 poor match is" if page.hidden == 1 else f"{page.hidden} poor matches are"
    reveal = f"{hidden} hidden: tick “Show all matches” to see them."
    if page.no_good_match:
        return message_box("No good match", f"Nothing matched {query!r} well. {reveal}")
    if not page.results and page.page > 1:
        return message_box("No more results", "This page is past the last result.")
    cards = result_cards(page.results, query)
    return cards + (f'<p class="mx-hidden">{escape(reveal)}</p>' if page.hidden else "")


def page_label(page: SearchPage) -> str:
    """Which results the page shows, e.g. "Results 11–20"."""
    if not page.results:
        return ""
    first = (page.page - 1) * page.page_size + 1
    return f"Page {page.page} · results {first}–{first + len(page.results) - 1}"
