"""The second-stage verifier: word-level agreement rescoring mined candidates."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from unit_encoder import UnitEncoder

from mexma_search.encoder.evaluate import Candidate
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.tm import verify
from mexma_search.tm.verify import (
    DEFAULT_VERIFIED_THRESHOLD,
    REFERENCE,
    pair_features,
    reads_words,
    verified_score,
    verify_candidates,
    word_vector_agreement,
    word_vector_function,
)
from mexma_search.tm.workflow import mine_sentences

ENGLISH = "The children of Bigvai, two thousand fifty-six."
TRUE = "Los hijos de Bigvai, dos mil cincuenta y seis."
NEAR = "Los hijos de Bigvai, dos mil sesenta y siete."


class UnitWords:
    """Word vectors of unit-name texts: one random unit vector per word, the same in both
    languages, so a translation repeats the words; records the texts asked for."""

    def __init__(self) -> None:
        self.encoder = UnitEncoder(seed=3)
        self.calls: list[list[str]] = []

    def __call__(self, texts: Sequence[str]) -> list[np.ndarray]:
        self.calls.append(list(texts))
        return [self.encoder(text.split()) for text in texts]


def test_the_same_words_agree_fully_and_other_words_less() -> None:
    words = UnitEncoder(seed=1)(["a", "b", "c", "d", "e", "f"])
    f, mutual = word_vector_agreement(words[:3], words[:3])
    assert f == pytest.approx(1.0) and mutual == 1.0
    f_other, mutual_other = word_vector_agreement(words[:3], words[3:])
    assert f_other < 0.8 and mutual_other < 1.0
    assert word_vector_agreement(words[:0], words) == (0.0, 0.0)


def test_other_numbers_lower_the_score_of_a_near_translation() -> None:
    # the same word vectors on both candidates: only the texts' numbers tell them apart
    words = UnitEncoder(seed=2)(["children", "bigvai", "two", "thousand"])
    true = pair_features(ENGLISH, words, TRUE, words)
    near = pair_features(ENGLISH, words, NEAR, words)
    assert true.numbers == 1.0 and near.numbers == 0.0
    assert verified_score(1.0, true) > verified_score(1.0, near) + 0.01


def test_a_typical_translation_keeps_its_margin() -> None:
    assert verified_score(1.02, REFERENCE) == pytest.approx(1.02)


def test_verified_candidates_drop_the_low_margins_and_put_the_translation_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(verify, "CHUNK", 1)
    src = ["u1 u2 u3 u4 u5 7", "u6 u7"]
    trg = ["u1 u2 u3 u4 u5 7", "u1 u2 u9 u8 u0 8", "u6 u7"]
    words = UnitWords()
    candidates = [Candidate(0, 1, 1.03), Candidate(0, 0, 1.02), Candidate(1, 2, 0.5)]
    found = verify_candidates(candidates, src, trg, words, floor=0.9)
    assert [(c.src, c.trg) for c in found] == [(0, 0), (0, 1)]
    assert found[0].score > 1.02 and found[1].score < 1.03
    # one candidate a chunk: each chunk asks only for its own texts
    assert words.calls == [[src[0], trg[0]], [src[0], trg[1]]]


def test_mining_with_the_verifier_rescores_and_uses_its_default_threshold() -> None:
    src = [f"u{i} v{i} w{i}" for i in range(30)]
    trg = [f"u{i} v{i} w{i}" for i in range(30)]
    report = mine_sentences(src, trg, UnitEncoder(noise=0.3), verify=UnitWords())
    assert report.verified and report.threshold == DEFAULT_VERIFIED_THRESHOLD
    assert {(p.src, p.trg) for p in report.pairs} == set(zip(src, trg, strict=True))
    assert report.summary()["verified"] is True and "verify_s" in report.timing
    plain = mine_sentences(src, trg, UnitEncoder(noise=0.3))
    assert not plain.verified and plain.threshold != DEFAULT_VERIFIED_THRESHOLD


def test_word_vectors_come_per_word_in_batches_inside_the_turn(
    tiny_encoder: SentenceEncoder,
) -> None:
    turns: list[int] = []

    @contextmanager
    def turn() -> Iterator[None]:
        turns.append(1)
        yield

    texts = ["Compré la casa.", "", "Der Zug fährt heute ab."]
    found = word_vector_function(tiny_encoder, 2, turn=turn)(texts)
    assert [len(vectors) for vectors in found] == [3, 0, 5]
    assert found[0].shape[1] == tiny_encoder.dimension and len(turns) == 2


@pytest.mark.slow
def test_the_default_model_prefers_the_translation_with_the_right_numbers(
    default_model_dir: Path,
) -> None:
    encoder = SentenceEncoder.load(default_model_dir, device="cpu")
    words = word_vector_function(encoder, 8)
    candidates = [Candidate(0, 1, 1.02), Candidate(0, 0, 1.02)]
    found = verify_candidates(candidates, [ENGLISH], [TRUE, NEAR], words)
    assert [(c.src, c.trg) for c in found] == [(0, 0), (0, 1)]


def test_the_verifier_reads_spaced_languages_only() -> None:
    assert reads_words("en", "es")
    assert not reads_words("en", "ja")
    assert not reads_words("zh", "en")
