"""Grouping sentences into passages that fit the encoder's token budget."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import accumulate, pairwise
from typing import Protocol

from mexma_search.documents.langid import UNDETERMINED
from mexma_search.documents.scripts import DENSE_RANGES
from mexma_search.documents.spans import Span, crosses_paragraph, trimmed

TokenCounter = Callable[[str], int]


class BatchTokenCounter(Protocol):
    """A token counter that also counts many texts in one call (a fast tokenizer batches)."""

    def __call__(self, text: str) -> int: ...

    def many(self, texts: Sequence[str]) -> list[int]:
        """The token count of each of ``texts``."""
        ...


def count_each(count_tokens: TokenCounter, texts: Sequence[str]) -> list[int]:
    """The token count of each of ``texts``, in one call when the counter can batch."""
    many = getattr(count_tokens, "many", None)
    return list(many(texts)) if many is not None else [count_tokens(text) for text in texts]


# One token per dense-script character or punctuation mark, about one per four letters of a
# word: close to what XLM-R's sentencepiece produces, and rarely below it.
_APPROX_TOKEN = re.compile(f"[{DENSE_RANGES}]|[^\\W{DENSE_RANGES}]+|[^\\w\\s]")
_CHARS_PER_TOKEN = 4
_WORD = re.compile(r"\S+")
_WHITESPACE_JOIN = re.compile(r"[ \t\n\r]+")


@dataclass(frozen=True, slots=True)
class Passage:
    """Consecutive sentences of one paragraph, indexed and searched as one piece.

    ``start``/``end`` are offsets into the document text (``text`` is exactly that slice);
    ``sentences`` are relative to the passage, so search can highlight the best one.
    """

    text: str
    start: int
    end: int
    ordinal: int
    language: str
    sentences: tuple[Span, ...]


def approx_token_count(text: str) -> int:
    """A cheap tokenizer-free estimate of the number of subword tokens in ``text``."""
    return sum(-(-len(token) // _CHARS_PER_TOKEN) for token in _APPROX_TOKEN.findall(text))


def group_passages(
    sentences: Sequence[Span],
    text: str,
    *,
    max_tokens: int,
    count_tokens: TokenCounter = approx_token_count,
    language: str = UNDETERMINED,
    first_ordinal: int = 0,
) -> list[Passage]:
    """Group consecutive ``sentences`` (spans into ``text``) into passages of ``max_tokens``.

    A sentence is only cut when it alone exceeds the budget (at word boundaries, or between
    characters for unspaced scripts); a passage never spans a paragraph break. Ordinals count
    from ``first_ordinal``.
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be positive, got {max_tokens}")
    pieces: list[Span] = []
    counts: list[int] = []
    sentence_counts = count_each(count_tokens, [sentence.of(text) for sentence in sentences])
    for sentence, sentence_count in zip(sentences, sentence_counts, strict=True):
        fitting = (
            [(sentence, sentence_count)]
            if sentence_count <= max_tokens
            else _cut_pieces(sentence, text, max_tokens, count_tokens)
        )
        for piece, count in fitting:
            pieces.append(piece)
            counts.append(count)
    return [
        _passage(pieces[start:end], text, ordinal, language)
        for ordinal, (start, end) in enumerate(
            _group_bounds(pieces, counts, text, max_tokens, count_tokens), start=first_ordinal
        )
    ]


def _group_bounds(
    pieces: list[Span],
    counts: list[int],
    text: str,
    max_tokens: int,
    count_tokens: TokenCounter,
) -> list[tuple[int, int]]:
    """``(start, end)`` indices of the groups of ``pieces``: each group takes the following
    pieces while the text from its first piece to theirs fits and no paragraph break comes
    between, the first piece always.

    Counting each growing group would tokenize a passage once per sentence it holds. The
    pieces' own ``counts`` summed predict where a group ends. The prediction is exact when the
    counter is additive at whitespace and only whitespace joins the group's pieces; otherwise
    it is checked by counting the group and the group with one more piece, and searched
    outward from when it is off.
    """
    totals = list(accumulate(counts, initial=0))
    breaks = [
        index
        for index in range(1, len(pieces))
        if crosses_paragraph(text, pieces[index - 1].end, pieces[index].start)
    ]
    inexact = list(accumulate(_inexact_joins(pieces, text, count_tokens), initial=0))
    bounds: list[tuple[int, int]] = []
    start = 0
    while start < len(pieces):
        limit = _next_after(breaks, start, len(pieces))
        # a piece over the budget on its own (cut between characters) still makes a group
        predicted = max(start + 1, bisect_right(totals, totals[start] + max_tokens, lo=start) - 1)
        last_join = min(predicted, limit - 1)
        if inexact[last_join + 1] == inexact[start + 1]:
            end = min(predicted, limit)
        else:
            overflows = partial(_overflows, text, pieces, start, max_tokens, count_tokens)
            end = _first_true(start + 1, limit, overflows, hint=predicted)
        bounds.append((start, end))
        start = end
    return bounds


def _inexact_joins(pieces: list[Span], text: str, count_tokens: TokenCounter) -> list[bool]:
    """For each piece, whether its text joined to the previous one's may count otherwise than
    the two apart: always, unless the counter is additive at whitespace and only spaces, tabs
    or line breaks come between."""
    if not getattr(count_tokens, "additive_at_whitespace", False):
        return [True] * len(pieces)
    return [True] + [
        _WHITESPACE_JOIN.fullmatch(text, before.end, after.start) is None
        for before, after in pairwise(pieces)
    ]


def _overflows(
    text: str,
    pieces: list[Span],
    start: int,
    max_tokens: int,
    count_tokens: TokenCounter,
    index: int,
) -> bool:
    """Whether pieces ``start`` to ``index`` (included) are over the budget together."""
    return count_tokens(text[pieces[start].start : pieces[index].end]) > max_tokens


def _next_after(indices: list[int], index: int, default: int) -> int:
    """The first of the sorted ``indices`` above ``index``, else ``default``."""
    position = bisect_right(indices, index)
    return indices[position] if position < len(indices) else default


def _first_true(lo: int, hi: int, predicate: Callable[[int], bool], *, hint: int) -> int:
    """The first index in ``[lo, hi)`` where the monotone ``predicate`` holds (``hi`` if none),
    galloping from ``hint``: a right hint costs two evaluations."""
    hint = min(max(hint, lo), hi)
    if hint == hi or predicate(hint):
        upper, step = hint, 1
        while upper - step >= lo and predicate(upper - step):
            upper -= step
            step *= 2
        lower = max(lo, upper - step + 1)
    else:
        lower, step = hint + 1, 1
        while lower + step - 1 < hi and not predicate(lower + step - 1):
            lower += step
            step *= 2
        upper = min(lower + step - 1, hi)
    return bisect_left(range(lower, upper), True, key=predicate) + lower


def _passage(group: list[Span], text: str, ordinal: int, language: str) -> Passage:
    start, end = group[0].start, group[-1].end
    return Passage(
        text[start:end], start, end, ordinal, language, tuple(s.shifted(-start) for s in group)
    )


def _cut_pieces(
    sentence: Span, text: str, max_tokens: int, count_tokens: TokenCounter
) -> list[tuple[Span, int]]:
    """Greedy pieces of a sentence over the budget that each fit: cut at the last word end
    that fits, or between characters when a single word (or an unspaced script) is over the
    budget; each with its token count."""
    word_ends = [m.end() for m in _WORD.finditer(text, sentence.start, sentence.end)]
    pieces: list[tuple[Span, int]] = []
    start = sentence.start
    while (piece := trimmed(text, start, sentence.end)) is not None:
        fits = partial(_within_budget, text, piece.start, max_tokens, count_tokens)
        characters = range(piece.start + 1, piece.end + 1)
        end = characters[max(_fitting_prefix(characters, fits), 1) - 1]
        words_within = bisect_right(word_ends, end)
        if words_within and word_ends[words_within - 1] > piece.start:
            end = word_ends[words_within - 1]
        pieces.append((Span(piece.start, end), count_tokens(text[piece.start : end])))
        start = end
    return pieces


def _within_budget(
    text: str, start: int, max_tokens: int, count_tokens: TokenCounter, end: int
) -> bool:
    return count_tokens(text[start:end]) <= max_tokens


def _fitting_prefix(ends: Sequence[int], fits: Callable[[int], bool]) -> int:
    """How many leading ``ends`` fit, fitting ends coming first.

    Galloping then bisecting keeps the counted texts near the answer's length, so a huge
    unpunctuated sentence costs O(log n) counts of short texts per piece.
    """
    known, step = 0, 1
    while known + step <= len(ends) and fits(ends[known + step - 1]):
        known += step
        step *= 2
    upper = min(known + step - 1, len(ends))
    return bisect_right(ends, False, lo=known, hi=upper, key=lambda end: not fits(end))
