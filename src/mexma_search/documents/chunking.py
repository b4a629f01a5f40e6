"""From a parsed document to the chunks that get embedded: language, sentences, passages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeAlias

from mexma_search.documents.document import ParsedDocument
from mexma_search.documents.langid import (
    UNDETERMINED,
    detect_language,
    dominant_language,
    normalize_language,
)
from mexma_search.documents.passages import (
    Passage,
    TokenCounter,
    approx_token_count,
    group_passages,
)
from mexma_search.documents.spans import Span, paragraph_spans
from mexma_search.documents.split import split_sentences

# A chunk is a passage of a whole document: offsets into ParsedDocument.text, ordinals
# numbered across the document.
Chunk: TypeAlias = Passage


def chunk_document(
    doc: ParsedDocument,
    *,
    max_tokens: int,
    count_tokens: TokenCounter = approx_token_count,
    languages: Iterable[str] | None = None,
) -> list[Chunk]:
    """Split ``doc`` into passages of at most ``max_tokens`` tokens, in document order.

    Each paragraph of each unit gets its language (the unit's declared one, else detected,
    restricted to ``languages`` if given; too short to tell: the document's dominant
    language), is split into sentences by that language's rules and grouped into passages.
    """
    allowed = tuple(languages) if languages is not None else None
    blocks = [
        (paragraph, _language(doc.text, paragraph, unit.language, allowed))
        for unit in doc.units
        for paragraph in paragraph_spans(doc.text, unit.start, unit.end)
    ]
    dominant = dominant_language((language, p.end - p.start) for p, language in blocks)
    chunks: list[Chunk] = []
    for paragraph, detected in blocks:
        language = dominant if detected == UNDETERMINED else detected
        sentences = split_sentences(paragraph.of(doc.text), language)
        chunks.extend(
            group_passages(
                [sentence.shifted(paragraph.start) for sentence in sentences],
                doc.text,
                max_tokens=max_tokens,
                count_tokens=count_tokens,
                language=language,
                first_ordinal=len(chunks),
            )
        )
    return chunks


def _language(
    text: str, paragraph: Span, declared: str | None, allowed: tuple[str, ...] | None
) -> str:
    if declared:
        return normalize_language(declared)
    return detect_language(paragraph.of(text), languages=allowed)[0]
