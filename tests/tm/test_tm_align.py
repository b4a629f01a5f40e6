"""Document alignment: 1-1, 1-2, 2-1 and skip steps in order, with scores."""

from __future__ import annotations

import numpy as np
import pytest
from unit_encoder import UnitEncoder

from mexma_search.tm.align import SpanVectors, align_sentences, align_vectors, cosine_baseline
from mexma_search.tm.align_scores import link_scores, strict_scores, unit_scores


def _pairs(
    src: list[str], trg: list[str], encoder: UnitEncoder
) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    return [(p.src, p.trg) for p in align_sentences(src, trg, encoder)]


def test_one_to_one_in_order(unit_encoder: UnitEncoder) -> None:
    src = [f"u{i}" for i in range(8)]
    assert _pairs(src, list(src), unit_encoder) == [((i,), (i,)) for i in range(8)]


def test_merges_and_splits_become_two_to_one_steps(unit_encoder: UnitEncoder) -> None:
    src = ["u0", "u1", "u2", "u3", "u4 u5", "u6"]
    trg = ["u0", "u1 u2", "u3", "u4", "u5", "u6"]
    assert _pairs(src, trg, unit_encoder) == [
        ((0,), (0,)),
        ((1, 2), (1,)),
        ((3,), (2,)),
        ((4,), (3, 4)),
        ((5,), (5,)),
    ]


def test_an_untranslated_sentence_is_skipped(unit_encoder: UnitEncoder) -> None:
    src = [f"u{i}" for i in range(6)]
    trg = ["u0", "u1", "u2", "extra1 extra2 extra3", "u3", "u4", "u5"]
    pairs = _pairs(src, trg, unit_encoder)
    assert ((), (3,)) in pairs
    assert [p for p in pairs if p[0] and p[1]] == [
        ((0,), (0,)),
        ((1,), (1,)),
        ((2,), (2,)),
        ((3,), (4,)),
        ((4,), (5,)),
        ((5,), (6,)),
    ]


def test_every_sentence_is_used_once_in_order_and_scores_are_cosines() -> None:
    encoder = UnitEncoder(seed=3, noise=0.3)
    src = [f"u{i}" for i in range(40)]
    trg = [f"u{i}" for i in range(40) if i % 7 != 3] + ["v1", "v2"]
    pairs = align_sentences(src, trg, encoder)
    assert [i for p in pairs for i in p.src] == list(range(len(src)))
    assert [j for p in pairs for j in p.trg] == list(range(len(trg)))
    paired = [p for p in pairs if not p.is_skip]
    assert all(-1.0 <= p.score <= 1.0 for p in paired)
    assert np.mean([p.score for p in paired]) > 0.7


def test_adjacent_sentences_are_encoded_together_in_one_call(unit_encoder: UnitEncoder) -> None:
    spans = SpanVectors.encode(["u0", "u1", "u2"], unit_encoder)
    assert unit_encoder.calls == 1
    assert spans.single.shape[0] == 3 and spans.double.shape[0] == 2
    np.testing.assert_allclose(spans.span(1, 2), unit_encoder(["u1 u2"])[0], atol=1e-6)


def test_an_empty_side_leaves_every_sentence_unpaired(unit_encoder: UnitEncoder) -> None:
    pairs = align_sentences(["u0", "u1"], [], unit_encoder)
    assert [(p.src, p.trg) for p in pairs] == [((0,), ()), ((1,), ())]
    assert all(p.is_skip for p in pairs)


def test_a_long_document_stays_within_the_band(unit_encoder: UnitEncoder) -> None:
    src = [f"u{i}" for i in range(400)]
    spans = SpanVectors.encode(src, unit_encoder)
    pairs = align_vectors(spans, spans, band=8)
    assert [(p.src, p.trg) for p in pairs] == [((i,), (i,)) for i in range(400)]


def test_cosine_baseline_of_unrelated_vectors_is_about_one(unit_encoder: UnitEncoder) -> None:
    vectors = unit_encoder([f"w{i}" for i in range(200)])
    assert cosine_baseline(vectors[:100], vectors[100:]) == pytest.approx(1.0, abs=0.1)


def test_scores_against_gold() -> None:
    gold = [((0,), (0,)), ((1, 2), (1,)), ((3,), (2,))]
    predicted = [((0,), (0,)), ((1,), (1,)), ((2,), ()), ((3,), (2,))]
    strict = strict_scores(predicted, gold)
    assert (strict.precision, strict.recall) == (2 / 3, 2 / 3)
    link = link_scores(predicted, gold)
    assert (link.precision, link.recall) == (1.0, 3 / 4)
    verses = unit_scores(predicted, [{0}, {1}, {2}, {3}], [{0}, {1, 2}, {3}])
    assert (verses.precision, verses.recall) == (1.0, 3 / 4)
    assert unit_scores([((0,), (1,))], [{0}, {1}], [{0}, {1}]).precision == 0.0
