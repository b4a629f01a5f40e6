"""The translation-side highlight: words of a translation linked to the matched source words by
the encoder's early-layer token vectors, on real pairs with the default model."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.token_vectors import token_vectors
from mexma_search.tm.word_alignment import AlignRequest, aligned_spans

# (source, the source words, translation, the words expected to be linked to them)
PAIRS = [
    ("I bought the house last year.", ["house"], "Compré la casa el año pasado.", ["casa"]),
    ("The bakery opens at six.", ["bakery"], "La panadería abre a las seis.", ["panadería"]),
    (
        "The children are playing in the garden.",
        ["children", "garden"],
        "Los niños juegan en el jardín.",
        ["niños", "jardín"],
    ),
    (
        "My brother lives in a small village.",
        ["brother"],
        "Mon frère habite un village.",
        ["frère"],
    ),
    ("The train leaves at noon.", ["train"], "Der Zug fährt mittags ab.", ["Zug"]),
    # the other way: a Spanish word found, its English translation linked
    (
        "El río atraviesa el casco antiguo.",
        ["río"],
        "The river flows through the old town.",
        ["river"],
    ),
]


def _spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    return [re.search(rf"\b{word}\b", text).span() for word in words]  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def default_encoder(default_model_dir: Path) -> SentenceEncoder:
    return SentenceEncoder.load(default_model_dir, device="cpu")


@pytest.mark.slow
def test_matched_words_are_linked_to_their_translation(default_encoder: SentenceEncoder) -> None:
    requests = [AlignRequest(src, _spans(src, words), trg) for src, words, trg, _ in PAIRS]
    found = aligned_spans(default_encoder, requests)
    for (_, _, trg, expected), spans in zip(PAIRS, found, strict=True):
        assert [trg[start:end] for start, end in spans] == expected


@pytest.mark.slow
def test_a_word_without_a_mutual_best_match_is_not_highlighted(
    default_encoder: SentenceEncoder,
) -> None:
    # nothing in the translation renders "yesterday": no guess is shown
    source = "The house is big, yesterday."
    [spans] = aligned_spans(
        default_encoder, [AlignRequest(source, _spans(source, ["yesterday"]), "La casa es grande.")]
    )
    assert spans == []


def test_token_spans_point_into_the_text(tiny_encoder: SentenceEncoder) -> None:
    texts = ["Compré la casa.", "", "Der Zug fährt ab."]
    found = token_vectors(tiny_encoder, texts, layers=2)
    assert [len(tokens.spans) for tokens in found][1] == 0
    for text, tokens in zip(texts, found, strict=True):
        assert tokens.vectors.shape == (len(tokens.spans), tiny_encoder.dimension)
        assert all(0 <= start < end <= len(text) for start, end in tokens.spans)
    assert aligned_spans(tiny_encoder, []) == []
    [none] = aligned_spans(tiny_encoder, [AlignRequest("", [], "La casa.")])
    assert none == []
