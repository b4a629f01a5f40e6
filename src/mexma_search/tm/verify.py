"""Word-level agreement of a mined candidate pair: a second look after the margin.

The margin compares whole-sentence vectors, which barely tell a verse from a parallel verse
with other numbers or names. These features compare the two sentences word by word; each is
computed for one pair at a time, so verifying the ~1-2 candidates of each sentence is linear.
The verified score is the margin plus a weighted sum of the features, each taken relative to
its mean over true translations, so a typical translation keeps about its margin and a
near-translation that disagrees word by word loses. Weights and means were fitted by
``bench/mine_verify.py`` (logistic regression on the English-Spanish Bible's dev split, see
docs/benchmarks.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import astuple, dataclass

import numpy as np

from mexma_search.encoder.encode import BatchTurn
from mexma_search.encoder.evaluate import Candidate
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.token_vectors import token_vectors
from mexma_search.index.keywords import UNSPACED_LANGUAGES
from mexma_search.tm.numbers import number_agreement
from mexma_search.tm.word_alignment import unit_rows, word_vectors

_WORD = re.compile(r"[^\W\d_]+")
_SENTENCE_OPENERS = set(".!?:;¿¡\"“«'‘(")


# Words are read after the embeddings and this many transformer layers.
VERIFY_LAYERS = 4
# Candidates under this margin are dropped unverified: true pairs almost never score lower.
DEFAULT_VERIFY_FLOOR = 0.98
# Verified score above which a pair is kept when no threshold is given.
DEFAULT_VERIFIED_THRESHOLD = 1.0
CHUNK = 1024

# texts -> each text's word vectors (one row a word)
WordVectors = Callable[[Sequence[str]], list[np.ndarray]]


@dataclass(frozen=True)
class PairFeatures:
    """Word-level agreement of two sentences; every field is in [0, 1]."""

    word_f: float  # BERTScore-like F of the words' best cosine partners
    mutual: float  # share of words whose best partner picks them back
    numbers: float  # shared share of stated numbers (1 when neither states any)
    has_numbers: float  # 1 when either side states a number
    names: float  # shared share of capitalised words (1 when neither has any)
    length: float  # shorter / longer word count


# margin units per unit of each feature, and each feature's mean over true pairs
WEIGHTS = PairFeatures(0.101, 0.064, 0.0218, -0.0075, 0.0091, 0.0231)
REFERENCE = PairFeatures(0.456, 0.729, 0.989, 0.104, 0.407, 0.882)


def reads_words(*languages: str) -> bool:
    """Whether the verifier can read text in every one of ``languages``: it counts and
    compares words as separated by spaces, which Chinese, Japanese, Thai and the like do not
    use (mining in them keeps the margin alone)."""
    return not any(lang in UNSPACED_LANGUAGES for lang in languages)


def word_vector_agreement(src: np.ndarray, trg: np.ndarray) -> tuple[float, float]:
    """``(F, mutual share)`` of two sentences' word vectors (one row a word), centred on the
    pair's mean: F is the harmonic mean of the words' mean best cosine each way, the mutual
    share counts the words whose best partner picks them back, over the mean word count."""
    if not len(src) or not len(trg):
        return 0.0, 0.0
    centre = np.vstack([src, trg]).mean(axis=0)
    similarity = unit_rows(src - centre) @ unit_rows(trg - centre).T
    precision = float(similarity.max(axis=1).mean())
    recall = float(similarity.max(axis=0).mean())
    f = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    forward, backward = similarity.argmax(axis=1), similarity.argmax(axis=0)
    mutual = int(np.sum(backward[forward] == np.arange(len(src))))
    return max(f, 0.0), 2 * mutual / (len(src) + len(trg))


def capitalised_words(text: str) -> set[str]:
    """Capitalised words not opening a sentence, lower-cased and without accents."""
    found = set()
    for match in _WORD.finditer(text):
        word, before = match.group(), text[: match.start()].rstrip()
        if word[0].isupper() and before and before[-1] not in _SENTENCE_OPENERS:
            decomposed = unicodedata.normalize("NFD", word.lower())
            found.add("".join(c for c in decomposed if not unicodedata.combining(c)))
    return found


def text_features(src: str, trg: str) -> tuple[float, float, float, float]:
    """``(numbers, has_numbers, names, length)`` of :class:`PairFeatures`, from the texts."""
    numbers = number_agreement(src, trg)
    src_names, trg_names = capitalised_words(src), capitalised_words(trg)
    union = src_names | trg_names
    n_src, n_trg = len(src.split()), len(trg.split())
    return (
        1.0 if numbers is None else numbers,
        0.0 if numbers is None else 1.0,
        len(src_names & trg_names) / len(union) if union else 1.0,
        min(n_src, n_trg) / max(n_src, n_trg, 1),
    )


def pair_features(
    src_text: str, src_words: np.ndarray, trg_text: str, trg_words: np.ndarray
) -> PairFeatures:
    """The agreement features of one candidate pair, given each side's word vectors."""
    return PairFeatures(
        *word_vector_agreement(src_words, trg_words), *text_features(src_text, trg_text)
    )


def verified_score(margin: float, features: PairFeatures) -> float:
    """The margin plus the weighted features, each relative to its mean over true pairs."""
    gains = np.subtract(astuple(features), astuple(REFERENCE))
    return margin + float(np.dot(astuple(WEIGHTS), gains))


def verify_candidates(
    candidates: Sequence[Candidate],
    src_texts: Sequence[str],
    trg_texts: Sequence[str],
    words: WordVectors,
    *,
    floor: float = DEFAULT_VERIFY_FLOOR,
) -> list[Candidate]:
    """The candidates of margin at least ``floor`` with their :func:`verified_score`, best
    first. Word vectors are computed ``CHUNK`` candidates at a time (by source sentence), so
    memory stays bounded and each sentence is read about once per candidate of it."""
    kept = sorted((c for c in candidates if c.score >= floor), key=lambda c: (c.src, c.trg))
    verified = []
    for start in range(0, len(kept), CHUNK):
        part = kept[start : start + CHUNK]
        src_rows = list(dict.fromkeys(c.src for c in part))
        trg_rows = list(dict.fromkeys(c.trg for c in part))
        vectors = words([src_texts[i] for i in src_rows] + [trg_texts[j] for j in trg_rows])
        src_words = dict(zip(src_rows, vectors[: len(src_rows)], strict=True))
        trg_words = dict(zip(trg_rows, vectors[len(src_rows) :], strict=True))
        for c in part:
            features = pair_features(
                src_texts[c.src], src_words[c.src], trg_texts[c.trg], trg_words[c.trg]
            )
            verified.append(Candidate(c.src, c.trg, verified_score(c.score, features)))
    return sorted(verified, key=lambda c: (-c.score, c.src, c.trg))


def word_vector_function(
    encoder: SentenceEncoder, batch_size: int, *, turn: BatchTurn | None = None
) -> WordVectors:
    """Texts -> their word vectors after :data:`VERIFY_LAYERS` layers, in batches of similar
    length, each inside ``turn()`` when given."""

    def words(texts: Sequence[str]) -> list[np.ndarray]:
        found: list[np.ndarray] = [np.zeros((0, 0), dtype=np.float32)] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            with turn() if turn is not None else nullcontext():
                tokens = token_vectors(encoder, [texts[i] for i in rows], VERIFY_LAYERS)
            for row, vectors in zip(rows, tokens, strict=True):
                found[row] = word_vectors(texts[row], vectors)[1]
        return found

    return words
