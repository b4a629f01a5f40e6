"""TokenizerCounter: counts as the tokenizer does, each distinct word tokenized once."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from mexma_search.encoder import token_count
from mexma_search.encoder.token_count import TokenizerCounter

TEXTS = [
    "",
    "The river flows through the old town and under seven bridges.",
    "  Leading,\ttabbed\n\nand  doubled   spaces\r\nend. ",
    "La rivière « traverse » la vieille ville ; d'accord ? Ça va !",
    "Der Fluss fließt durch die Altstadt. Straße Nr. 9001-B, ISO 9001, PBL 9 kap.",
    "東京は日本の首都です。北京是中国的首都。 ソウルは韓国の首都です。",
    "ข้อความภาษาไทย ภาษาลาว ໂລກ",
    "Привет, мир! ١٢٣ ½ ﬁne Ｆｕｌｌ ｗｉｄｔｈ e\u0301 no\u00a0break\u3000ideo\u2009thin",
    "emoji 🙂🙂 and a <mask> token, and <s> too",
]


def direct_count(tokenizer: PreTrainedTokenizerFast, text: str) -> int:
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def test_xlmr_tokenizer_is_counted_word_by_word(xlmr_tokenizer: PreTrainedTokenizerFast) -> None:
    assert TokenizerCounter(xlmr_tokenizer).additive_at_whitespace


@pytest.mark.parametrize("text", TEXTS)
def test_counts_match_the_tokenizer(xlmr_tokenizer: PreTrainedTokenizerFast, text: str) -> None:
    counter = TokenizerCounter(xlmr_tokenizer)
    assert counter(text) == direct_count(xlmr_tokenizer, text)


def test_many_matches_one_by_one_and_repeats(xlmr_tokenizer: PreTrainedTokenizerFast) -> None:
    counter = TokenizerCounter(xlmr_tokenizer)
    expected = [direct_count(xlmr_tokenizer, text) for text in TEXTS]
    assert counter.many(TEXTS) == expected
    assert counter.many(list(reversed(TEXTS))) == list(reversed(expected))


def test_joined_by_whitespace_counts_the_sum(xlmr_tokenizer: PreTrainedTokenizerFast) -> None:
    counter = TokenizerCounter(xlmr_tokenizer)
    parts = [text.strip() for text in TEXTS[1:-1]]
    for gap in (" ", "\n", "\t ", "\r\n"):
        assert counter(gap.join(parts)) == sum(counter.many(parts))
        assert direct_count(xlmr_tokenizer, gap.join(parts)) == sum(counter.many(parts))


def test_a_full_word_memory_starts_afresh(
    xlmr_tokenizer: PreTrainedTokenizerFast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(token_count, "MAX_CACHED_WORDS", 8)
    counter = TokenizerCounter(xlmr_tokenizer)
    for text in TEXTS:
        assert counter(text) == direct_count(xlmr_tokenizer, text)
        assert len(counter._word_counts) <= max(8, len(text.split()))


def test_truncation_and_padding_of_the_encoder_do_not_reach_the_counts(
    xlmr_tokenizer: PreTrainedTokenizerFast,
) -> None:
    text = " ".join(TEXTS)
    counter = TokenizerCounter(xlmr_tokenizer)
    expected = direct_count(xlmr_tokenizer, text)
    backend = xlmr_tokenizer.backend_tokenizer
    backend.enable_truncation(4)
    backend.enable_padding(length=64)
    try:
        assert counter(text) == counter.many([text, "a"])[0] == expected
    finally:
        backend.no_truncation()
        backend.no_padding()


def byte_level_tokenizer(corpus: Sequence[str]) -> PreTrainedTokenizerFast:
    """A GPT-2 style tokenizer: spaces belong to the next word, so words are not counted apart."""
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.train_from_iterator(
        corpus,
        trainers.BpeTrainer(vocab_size=300, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()),
    )
    return PreTrainedTokenizerFast(tokenizer_object=backend)


def test_other_tokenizers_are_counted_whole() -> None:
    tokenizer = byte_level_tokenizer(TEXTS * 5)
    counter = TokenizerCounter(tokenizer)
    assert not counter.additive_at_whitespace
    assert counter.many(TEXTS) == [direct_count(tokenizer, text) for text in TEXTS]
