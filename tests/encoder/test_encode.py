"""Pooling, batching, normalisation, truncation and empty inputs of the encoder."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import pytest
import torch

from mexma_search.encoder.encode import batch_bounds, encode_texts, pad_batch
from mexma_search.encoder.model import SentenceEncoder


def test_cls_pooling_is_exactly_the_first_token_state(
    tiny_encoder: SentenceEncoder, mixed_texts: list[str]
) -> None:
    ids = tiny_encoder.tokenizer(mixed_texts[:3], padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = tiny_encoder.transformer(**ids).last_hidden_state
        pooled = tiny_encoder.sentence_vectors(ids["input_ids"], ids["attention_mask"])
    assert torch.equal(pooled, hidden[:, 0])


def test_mean_pooling_ignores_padding(tiny_mean_encoder: SentenceEncoder) -> None:
    ids = tiny_mean_encoder.tokenizer(["El río"], return_tensors="pt")
    padded_ids, padded_mask = pad_batch(
        [ids["input_ids"][0].tolist()], tiny_mean_encoder.tokenizer.pad_token_id
    )
    wide_ids = torch.cat(
        [padded_ids, torch.full((1, 9), tiny_mean_encoder.tokenizer.pad_token_id)], 1
    )
    wide_mask = torch.cat([padded_mask, torch.zeros((1, 9), dtype=torch.long)], 1)
    with torch.inference_mode():
        short = tiny_mean_encoder.sentence_vectors(padded_ids, padded_mask)
        long = tiny_mean_encoder.sentence_vectors(wide_ids, wide_mask)
        hidden = tiny_mean_encoder.transformer(input_ids=padded_ids).last_hidden_state
    torch.testing.assert_close(short, long, atol=1e-6, rtol=0)
    torch.testing.assert_close(short, hidden.mean(dim=1), atol=1e-6, rtol=0)


@pytest.mark.parametrize("fixture", ["tiny_encoder", "tiny_mean_encoder"])
def test_sorted_batches_match_one_at_a_time(
    fixture: str, request: pytest.FixtureRequest, mixed_texts: list[str]
) -> None:
    encoder: SentenceEncoder = request.getfixturevalue(fixture)
    batched = encoder.encode_array(mixed_texts, batch_size=3, prompt="passage")
    single = np.stack([encoder.encode_array([t], prompt="passage")[0] for t in mixed_texts])
    assert batched.dtype == np.float32
    assert np.abs(batched - single).max() <= 1e-5


def test_vectors_are_unit_length_and_in_input_order(
    tiny_encoder: SentenceEncoder, mixed_texts: list[str]
) -> None:
    vectors = tiny_encoder.encode_array(mixed_texts, batch_size=2)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    reversed_vectors = tiny_encoder.encode_array(mixed_texts[::-1], batch_size=2)
    np.testing.assert_allclose(vectors, reversed_vectors[::-1], atol=1e-5)


def test_prefixes_come_from_the_model_config(tiny_mean_encoder: SentenceEncoder) -> None:
    query = tiny_mean_encoder.encode_array(["El río"], prompt="query")
    prefixed = tiny_mean_encoder.encode_array(["query: El río"])
    passage = tiny_mean_encoder.encode_array(["El río"], prompt="passage")
    np.testing.assert_allclose(query, prefixed, atol=1e-6)
    assert np.abs(query - passage).max() > 1e-4


def test_long_inputs_are_truncated_and_counted(
    tiny_encoder: SentenceEncoder, mixed_texts: list[str]
) -> None:
    long_text = " ".join(mixed_texts * 10)
    result = tiny_encoder.encode([long_text, "Zug", long_text + " extra"])
    assert result.truncated == (0, 2)
    assert result.n_truncated == 2
    assert result.vectors.shape == (3, tiny_encoder.dimension)
    assert np.isfinite(result.vectors).all()
    assert result.n_tokens <= 2 * tiny_encoder.config.max_length + 10


def test_empty_and_whitespace_inputs_are_deterministic(tiny_encoder: SentenceEncoder) -> None:
    vectors = tiny_encoder.encode_array(["", "   ", "\n\t", "Zug", ""])
    np.testing.assert_array_equal(vectors[0], vectors[1])
    np.testing.assert_array_equal(vectors[0], vectors[2])
    np.testing.assert_array_equal(vectors[0], vectors[4])
    np.testing.assert_allclose(np.linalg.norm(vectors[0]), 1.0, atol=1e-5)
    assert tiny_encoder.encode_array([]).shape == (0, tiny_encoder.dimension)


def test_bad_inputs_are_refused_with_a_clear_message(tiny_encoder: SentenceEncoder) -> None:
    with pytest.raises(TypeError, match="sequence of strings"):
        tiny_encoder.encode("a single string")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be strings"):
        tiny_encoder.encode(["ok", None])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="batch_size"):
        tiny_encoder.encode(["ok"], batch_size=0)
    with pytest.raises(ValueError, match="prompt"):
        tiny_encoder.encode(["ok"], prompt="question")


def test_progress_callback_reports_every_batch(
    tiny_encoder: SentenceEncoder, mixed_texts: list[str]
) -> None:
    calls: list[tuple[int, int]] = []
    tiny_encoder.encode(
        mixed_texts, batch_size=3, progress=lambda done, total: calls.append((done, total))
    )
    assert calls == [(3, 7), (6, 7), (7, 7)]


def test_long_texts_go_in_smaller_batches() -> None:
    assert batch_bounds([512, 512, 512, 100, 90, 10], 4, 1024) == [(0, 2), (2, 4), (4, 6)]
    assert batch_bounds([5000], 32, 1024) == [(0, 1)]
    assert batch_bounds([], 32, 1024) == []


def test_token_budget_does_not_change_the_vectors(
    tiny_encoder: SentenceEncoder, mixed_texts: list[str]
) -> None:
    texts = [" ".join(mixed_texts * 3), *mixed_texts]
    roomy = tiny_encoder.encode_array(texts, batch_size=8)
    tight = encode_texts(tiny_encoder, texts, batch_size=8, max_batch_tokens=64).vectors
    assert np.abs(roomy - tight).max() <= 1e-5


def test_each_batch_runs_inside_its_turn(
    tiny_encoder: SentenceEncoder, mixed_texts: list[str]
) -> None:
    events: list[str] = []

    @contextlib.contextmanager
    def turn() -> Iterator[None]:
        events.append("turn")
        yield
        events.append("done")

    def progress(done: int, total: int) -> None:
        events.append(f"{done}/{total}")

    turned = tiny_encoder.encode_array(mixed_texts, batch_size=3, progress=progress, turn=turn)
    assert events == ["turn", "done", "3/7", "turn", "done", "6/7", "turn", "done", "7/7"]
    np.testing.assert_allclose(turned, tiny_encoder.encode_array(mixed_texts), atol=1e-5)
