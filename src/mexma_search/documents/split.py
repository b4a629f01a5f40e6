"""Language-aware sentence splitting with character offsets.

Three rule families: CJK (zh, ja) ends sentences at full-width terminators with no space
needed; Thai and Lao end them at the spaces between phrases; every other language ends them
at a terminator (``. ! ? …``, the danda ``।``, Arabic ``؟`` ...) followed by whitespace and a
word that is not lower case, unless the period closes an abbreviation, an initial or an
ordinal. A paragraph break always ends a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mexma_search.documents.abbreviations import is_abbreviation
from mexma_search.documents.langid import UNDETERMINED, normalize_language
from mexma_search.documents.spans import Span, paragraph_spans, trimmed

_CLOSERS = "\"'’”»)\\]」』）》〉】"
_OPENERS = "\"'‘“«¿¡(\\[「『（"

# Full-width terminators end a sentence even without a following space, in any language.
_FULL_WIDTH_END = re.compile(f"[。！？｡]+[{_CLOSERS}]*")
_CJK_END = re.compile(f"[。！？｡!?．]+[{_CLOSERS}]*")
_TERMINATORS = ".!?…।॥။។៕؟۔"
# French sets a (narrow no-break) space before "»"; other closers follow the terminator directly.
_SPACED_END = re.compile(
    f"(?P<terminator>[{_TERMINATORS}]+)(?:[{_CLOSERS}]|[\\s\u00a0\u202f]»)*(?=\\s)"
)
# Thai and Lao letters, without the repetition marks (ๆ, ໆ) that a space follows mid-sentence.
_THAI_LAO = "\u0e01-\u0e45\u0e47-\u0e7f\u0e81-\u0ec5\u0ec7-\u0eff"
_THAI_PHRASE_GAP = re.compile(f"(?<=[{_THAI_LAO}!?])\\s+(?=[{_THAI_LAO}])")

Cutter = Callable[[str, Span, str], list[int]]


def split_sentences(text: str, lang: str = UNDETERMINED) -> list[Span]:
    """Sentences of ``text`` as trimmed spans ``[start, end)`` into ``text``."""
    language = normalize_language(lang)
    cut = _CUTTERS.get(language, _spaced_cuts)
    sentences: list[Span] = []
    for paragraph in paragraph_spans(text):
        start = paragraph.start
        for end in [*cut(text, paragraph, language), paragraph.end]:
            sentence = trimmed(text, start, end)
            if sentence is not None:
                sentences.append(sentence)
            start = end
    return sentences


def _cjk_cuts(text: str, paragraph: Span, language: str) -> list[int]:
    return [m.end() for m in _CJK_END.finditer(text, paragraph.start, paragraph.end)]


def _thai_cuts(text: str, paragraph: Span, language: str) -> list[int]:
    return [m.start() for m in _THAI_PHRASE_GAP.finditer(text, paragraph.start, paragraph.end)]


def _spaced_cuts(text: str, paragraph: Span, language: str) -> list[int]:
    cuts = [m.end() for m in _FULL_WIDTH_END.finditer(text, paragraph.start, paragraph.end)]
    for match in _SPACED_END.finditer(text, paragraph.start, paragraph.end):
        if _ends_sentence(text, match, paragraph, language):
            cuts.append(match.end())
    return sorted(cuts)


def _ends_sentence(text: str, match: re.Match[str], paragraph: Span, language: str) -> bool:
    following = _next_word_char(text, match.end(), paragraph.end)
    if following is None or following.islower():
        return False
    if match.group("terminator") != ".":
        return True
    word = _word_before(text, paragraph.start, match.start())
    if word is None:
        return True
    return not is_abbreviation(
        word.of(text).lstrip(_OPENERS),
        language,
        ordinal_position=_is_ordinal_position(text, paragraph.start, word.start),
    )


def _is_ordinal_position(text: str, floor: int, word_start: int) -> bool:
    """Whether the word at ``word_start`` opens its sentence or follows a lower-case word or
    a sentence's first word (an article or preposition: "Am 3. Oktober", "seit dem 2. Mai")."""
    previous = _word_before(text, floor, word_start)
    if previous is None or _opens_sentence(text, floor, word_start):
        return True
    word = previous.of(text)
    return (word.isalpha() and word.islower()) or _opens_sentence(text, floor, previous.start)


def _opens_sentence(text: str, floor: int, word_start: int) -> bool:
    previous = _word_before(text, floor, word_start)
    return previous is None or text[previous.end - 1] in _TERMINATORS


def _word_before(text: str, floor: int, position: int) -> Span | None:
    """The whitespace-delimited word ending before ``position`` (not before ``floor``)."""
    end = position
    while end > floor and text[end - 1].isspace():
        end -= 1
    start = end
    while start > floor and not text[start - 1].isspace():
        start -= 1
    return Span(start, end) if start < end else None


def _next_word_char(text: str, position: int, end: int) -> str | None:
    """The first character after ``position`` that is neither space nor an opening mark."""
    while position < end and (text[position].isspace() or text[position] in _OPENERS):
        position += 1
    return text[position] if position < end else None


_CUTTERS: dict[str, Cutter] = {
    "zh": _cjk_cuts,
    "ja": _cjk_cuts,
    "th": _thai_cuts,
    "lo": _thai_cuts,
}
