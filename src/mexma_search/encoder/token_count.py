"""Counting a model tokenizer's tokens in many texts, each distinct word tokenized once."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from tokenizers import Tokenizer

# Where the tokenizer's pre-tokenizer cuts the text apart before its model sees any of it.
_SPLIT_CHARACTERS = " \t\n\r"
_WORD = re.compile(f"[^{_SPLIT_CHARACTERS}]+")
_WHITESPACE_PRE_TOKENIZERS = ("WhitespaceSplit", "Whitespace", "BertPreTokenizer")
_WORDS_PER_TEXT = 4096
# Distinct words remembered (a few tens of MB); past that the memory starts afresh.
MAX_CACHED_WORDS = 1 << 19
# Scripts, spacing and punctuation the word-by-word count must agree on before it is trusted.
_PROBE = (
    "The river flows.  El río\tatraviesa\nla ville, d'accord; Straße 9001-B (ISO 9001) «Ça»\r\n"
    "東京は日本の首都です。北京是中国的首都。 ข้อความภาษาไทย  Привет, мир! ١٢٣ ½ ﬁne Ｆｕｌｌ"
)


class TokenizerCounter:
    """Counts a model tokenizer's tokens (without special tokens) in a text or many texts.

    When the tokenizer cuts text at whitespace before anything else (XLM-R's sentencepiece
    does), a text's count is the sum of its words' counts, so each distinct word is tokenized
    once; ``additive_at_whitespace`` then tells passage grouping that texts joined by spaces,
    tabs or line breaks count as much as they do apart. Texts holding one of the tokenizer's
    added tokens (``<mask>``), and tokenizers that cut text otherwise, are tokenized whole.
    Build one per tokenizer and keep it: it copies the tokenizer once, and threads may share it.
    """

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer
        self._backend = _private_backend(tokenizer)
        added = sorted(_added_token_contents(tokenizer), key=len, reverse=True)
        self._added = re.compile("|".join(map(re.escape, added))) if added else None
        self._word_counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self.additive_at_whitespace = (
            self._backend is not None
            and _cuts_at_whitespace(self._backend)
            and self._by_words([_PROBE]) == self._whole([_PROBE])
        )

    def __call__(self, text: str) -> int:
        return self.many([text])[0]

    def many(self, texts: Sequence[str]) -> list[int]:
        """The count of each of ``texts``."""
        if not self.additive_at_whitespace:
            return self._whole(texts)
        counts = self._by_words(texts)
        if self._added is not None:
            whole = [index for index, text in enumerate(texts) if self._added.search(text)]
            for index, count in zip(whole, self._whole([texts[i] for i in whole]), strict=True):
                counts[index] = count
        return counts

    def _by_words(self, texts: Sequence[str]) -> list[int]:
        words = [_WORD.findall(text) for text in texts]
        with self._lock:
            known = self._word_counts
            unseen = list({word for each in words for word in each if word not in known})
            if len(known) + len(unseen) > MAX_CACHED_WORDS:
                known = self._word_counts = {}
                unseen = list({word for each in words for word in each})
            known.update(zip(unseen, self._word_counts_of(unseen), strict=True))
            return [sum(map(known.__getitem__, each)) for each in words]

    def _word_counts_of(self, words: list[str]) -> list[int]:
        """The counts of ``words`` (none holding a split character), tokenized as a few texts
        of words joined by line breaks: each token counts for the word in the middle of its
        offsets (an added token that strips the space before it starts on the line break).
        (Tokenizing them one by one costs a Python object per word.)"""
        if self._backend is None:
            return self._whole(words)
        batches = [words[i : i + _WORDS_PER_TEXT] for i in range(0, len(words), _WORDS_PER_TEXT)]
        encodings = self._backend.encode_batch(
            ["\n".join(batch) for batch in batches], add_special_tokens=False
        )
        counts: list[int] = []
        for batch, encoding in zip(batches, encodings, strict=True):
            starts = np.cumsum([0] + [len(word) + 1 for word in batch[:-1]])
            middles = np.fromiter((sum(span) // 2 for span in encoding.offsets), dtype=np.int64)
            owners = np.searchsorted(starts, middles, side="right") - 1
            counts.extend(np.bincount(owners, minlength=len(batch)).tolist())
        return counts

    def _whole(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        if self._backend is None:
            found = self._tokenizer(list(texts), add_special_tokens=False, verbose=False)
            return [len(ids) for ids in found["input_ids"]]
        return [len(found) for found in self._backend.encode_batch(texts, add_special_tokens=False)]


def _private_backend(tokenizer: Any) -> Tokenizer | None:
    """A copy of a fast tokenizer's Rust tokenizer that never truncates or pads (the encoder
    sets those on its own per call), or None for a slow tokenizer."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return None
    private = Tokenizer.from_str(backend.to_str())
    private.no_truncation()
    private.no_padding()
    return private


def _added_token_contents(tokenizer: Any) -> set[str]:
    decoder = getattr(tokenizer, "added_tokens_decoder", {})
    return {token.content for token in decoder.values() if token.content}


def _cuts_at_whitespace(backend: Tokenizer) -> bool:
    """Whether the pre-tokenizer cuts at every space, tab and line break (splitting at
    whitespace, or sentencepiece's metaspace with its split)."""
    if backend.pre_tokenizer is None:
        return False
    pre_tokenizer = json.loads(backend.pre_tokenizer.__getstate__())
    steps = pre_tokenizer.get("pretokenizers", [pre_tokenizer])
    return any(
        step.get("type") in _WHITESPACE_PRE_TOKENIZERS
        or (step.get("type") == "Metaspace" and step.get("split", True))
        for step in steps
    )
