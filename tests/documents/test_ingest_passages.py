"""Passages: token budget, exact offsets, paragraph boundaries, oversized sentences."""

from __future__ import annotations

import random

import pytest
from transformers import PreTrainedTokenizerFast

from mexma_search.documents import (
    Passage,
    Span,
    TokenCounter,
    approx_token_count,
    group_passages,
    split_sentences,
)
from mexma_search.encoder.token_count import TokenizerCounter

TEXT = (
    "The river rises in the hills. It flows west to the sea. The ferry crosses it daily.\n\n"
    "The bakery opens at six. It sells fresh bread. Cakes come out at noon."
)


def words(text: str) -> int:
    return len(text.split())


def check_offsets(passages: list[Passage], text: str) -> None:
    for passage in passages:
        assert text[passage.start : passage.end] == passage.text
        for sentence in passage.sentences:
            assert 0 <= sentence.start < sentence.end <= len(passage.text)


def test_groups_up_to_the_budget_without_splitting_sentences() -> None:
    sentences = split_sentences(TEXT, "en")
    passages = group_passages(sentences, TEXT, max_tokens=12, count_tokens=words)
    check_offsets(passages, TEXT)
    assert [p.text for p in passages] == [
        "The river rises in the hills. It flows west to the sea.",
        "The ferry crosses it daily.",
        "The bakery opens at six. It sells fresh bread.",
        "Cakes come out at noon.",
    ]
    assert all(words(p.text) <= 12 for p in passages)
    assert [p.ordinal for p in passages] == [0, 1, 2, 3]
    assert passages[0].sentences == (Span(0, 29), Span(30, 55))
    assert passages[0].sentences[1].of(passages[0].text) == "It flows west to the sea."


def test_never_crosses_a_paragraph_even_with_room_left() -> None:
    passages = group_passages(split_sentences(TEXT, "en"), TEXT, max_tokens=1000)
    assert [p.text for p in passages] == TEXT.split("\n\n")
    assert all("\n\n" not in p.text for p in passages)


def test_oversized_sentence_is_cut_at_word_boundaries() -> None:
    text = "one two three four five six seven. Short one."
    passages = group_passages(split_sentences(text, "en"), text, max_tokens=3, count_tokens=words)
    check_offsets(passages, text)
    assert [p.text for p in passages] == ["one two three", "four five six", "seven. Short one."]
    assert [s.of(passages[2].text) for s in passages[2].sentences] == ["seven.", "Short one."]


def test_unspaced_sentence_is_cut_between_characters() -> None:
    text = "面包店每天早上六点开门并且出售新鲜的面包。"
    passages = group_passages([Span(0, len(text))], text, max_tokens=5, count_tokens=len)
    check_offsets(passages, text)
    assert all(len(p.text) <= 5 for p in passages)
    assert "".join(p.text for p in passages) == text


def test_a_single_character_over_budget_still_makes_progress() -> None:
    text = "abc"
    passages = group_passages([Span(0, 3)], text, max_tokens=1, count_tokens=lambda s: 2 * len(s))
    assert [p.text for p in passages] == ["a", "b", "c"]


def test_language_and_first_ordinal_are_kept() -> None:
    passages = group_passages([Span(0, 4)], "Hola", max_tokens=10, language="es", first_ordinal=7)
    assert (passages[0].language, passages[0].ordinal) == ("es", 7)


def test_invalid_budget() -> None:
    with pytest.raises(ValueError, match="max_tokens must be positive"):
        group_passages([], "", max_tokens=0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("the river", 3),  # "the" 1 + "river" 2
        ("Bäckerei!", 3),  # 8 letters -> 2, "!" -> 1
        ("面包店", 3),  # one per ideograph
        ("2024年", 2),
    ],
)
def test_approx_token_count(text: str, expected: int) -> None:
    assert approx_token_count(text) == expected


def test_default_counter_respects_the_budget() -> None:
    text = " ".join(["The ferry crosses the wide river every morning at dawn."] * 20)
    passages = group_passages(split_sentences(text, "en"), text, max_tokens=40)
    check_offsets(passages, text)
    assert len(passages) > 1
    assert all(approx_token_count(p.text) <= 40 for p in passages)


class CountingCounter:
    """A word counter that records how many calls and characters it was given."""

    def __init__(self) -> None:
        self.calls = 0
        self.characters = 0

    def __call__(self, text: str) -> int:
        self.calls += 1
        self.characters += len(text)
        return words(text)


def short_sentences(count: int) -> str:
    return " ".join(f"Go on {i}." for i in range(count))


@pytest.mark.parametrize("sentences", [1_000, 4_000])
def test_grouping_tokenizes_each_character_a_bounded_number_of_times(sentences: int) -> None:
    text = short_sentences(sentences)
    counter = CountingCounter()
    passages = group_passages(
        split_sentences(text, "en"), text, max_tokens=200, count_tokens=counter
    )
    # each sentence once, each passage about twice: counting every growing passage instead
    # tokenizes a 66-sentence passage 66 times
    assert counter.characters <= 4 * len(text)
    assert counter.calls <= sentences + 3 * len(passages)


def greedy_passages(
    sentences: list[Span], text: str, max_tokens: int, count_tokens: TokenCounter
) -> list[tuple[int, int]]:
    """The grouping rule, one sentence at a time: a passage takes the next sentence while the
    whole still fits."""
    groups: list[list[Span]] = []
    for sentence in sentences:
        if groups and count_tokens(text[groups[-1][0].start : sentence.end]) <= max_tokens:
            groups[-1].append(sentence)
        else:
            groups.append([sentence])
    return [(group[0].start, group[-1].end) for group in groups]


@pytest.mark.parametrize("count_tokens", [words, len, approx_token_count])
@pytest.mark.parametrize("max_tokens", [60, 90, 300])
def test_predicted_passage_ends_match_the_greedy_rule(
    count_tokens: TokenCounter, max_tokens: int
) -> None:
    text = " ".join(
        f"Sentence {i} {'is short' if i % 3 else 'runs on for quite a few more words'}."
        for i in range(300)
    )
    sentences = split_sentences(text, "en")
    passages = group_passages(sentences, text, max_tokens=max_tokens, count_tokens=count_tokens)
    assert [(p.start, p.end) for p in passages] == greedy_passages(
        sentences, text, max_tokens, count_tokens
    )


POOLS = {
    "en": ["The ferry crosses the river at dawn.", "It is late!", "Dr. Smith, ISO 9001, 3.5 km?"],
    "fr": ["La rivière « traverse » la ville.", "Ça va ?", "Le 2 mai, d'accord ; voilà."],
    "zh": ["东京是日本的首都。", "北京很大！", "你好？"],
    "ja": ["東京は日本の首都です。", "はい！", "ソウルは韓国の首都ですか？"],
    "th": ["ข้อความภาษาไทย", "ภาษาลาว ໂລກ", "สวัสดี"],
}


def varied_text(language: str, seed: int) -> str:
    """Paragraphs of sentences from ``POOLS`` joined by spaces, line breaks or nothing, with a
    long unpunctuated run."""
    rng = random.Random(seed)
    pool = POOLS[language]
    paragraphs = []
    for _ in range(6):
        joins = [rng.choice([" ", "\n", "", "  ", "\t"]) for _ in range(rng.randint(1, 60))]
        paragraphs.append("".join(rng.choice(pool) + join for join in joins).strip())
    paragraphs.append(" ".join(["word"] * 300) + " " + "字" * 300)
    return "\n\n".join(paragraphs)


@pytest.mark.parametrize("max_tokens", [16, 60, 200])
@pytest.mark.parametrize("language", sorted(POOLS))
def test_word_by_word_counts_group_as_whole_counts_do(
    xlmr_tokenizer: PreTrainedTokenizerFast, language: str, max_tokens: int
) -> None:
    def whole(text: str) -> int:
        return len(xlmr_tokenizer(text, add_special_tokens=False)["input_ids"])

    counter = TokenizerCounter(xlmr_tokenizer)
    for seed in range(3):
        text = varied_text(language, seed)
        sentences = split_sentences(text, language)
        grouped = group_passages(sentences, text, max_tokens=max_tokens, count_tokens=counter)
        assert grouped == group_passages(sentences, text, max_tokens=max_tokens, count_tokens=whole)
        assert all(whole(passage.text) <= max_tokens for passage in grouped)
