"""A small English-Spanish library for the translation-memory job tests, and an encoder that
knows which of its words translate each other.

:class:`LexiconEncoder` turns each Spanish word into its English lexicon entry and encodes the
result with :class:`~unit_encoder.UnitEncoder`, so a Spanish sentence and its English
translation get (nearly) the same vector whatever the tiny test model would make of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from unit_encoder import UnitEncoder

from mexma_search.app.access import OPERATOR
from mexma_search.app.services import Services
from mexma_search.tm.workflow import Progress

TIMEOUT = 120

# the four planted translations, in English reading order
PLANTED = [
    ("The cat sleeps on the red carpet.", "El gato duerme en la alfombra roja."),
    ("The train leaves the station at noon.", "El tren sale de la estación al mediodía."),
    ("My brother works in a big hospital.", "Mi hermano trabaja en un hospital grande."),
    ("We sold the old car yesterday.", "Vendimos el coche viejo ayer."),
]
ENGLISH_ONLY = ["The children play happily in the garden.", "Where is the public library?"]
SPANISH_ONLY = ["Los perros ladran por la noche.", "Hoy hace mucho frío en la montaña."]

LEXICON = {
    "el": "the", "la": "the", "los": "the", "en": "in", "de": "of", "al": "at", "mi": "my",
    "un": "a", "gato": "cat", "duerme": "sleeps", "alfombra": "carpet", "roja": "red",
    "tren": "train", "sale": "leaves", "estación": "station", "mediodía": "noon",
    "hermano": "brother", "trabaja": "works", "grande": "big", "vendimos": "sold",
    "coche": "car", "viejo": "old", "ayer": "yesterday",
}  # fmt: skip
_WORD = re.compile(r"\w+")


class LexiconEncoder:
    """Vectors in which a Spanish word means its English lexicon entry; records how many
    texts it encoded and reports its progress in two steps, as batches would. ``stands_for``
    is the model's encoder it replaces."""

    def __init__(self, progress: Progress, stands_for: object = None) -> None:
        self.units = UnitEncoder(seed=1)
        self.progress = progress
        self.stands_for = stands_for
        self.encoded = 0

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        half = len(texts) // 2
        meanings = [
            " ".join(LEXICON.get(word, word) for word in _WORD.findall(text.lower()))
            for text in texts
        ]
        vectors = np.concatenate([self.units(meanings[:half]), self.units(meanings[half:])])
        self.progress(half, len(texts))
        self.progress(len(texts), len(texts))
        self.encoded += len(texts)
        return vectors


def write_side(folder: Path, name: str, sentences: Sequence[str]) -> Path:
    """A text file of ``sentences``, one paragraph each."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n\n".join(sentences) + "\n", encoding="utf-8")
    return path


def ingest(services: Services, path: Path, collection: str) -> int:
    """Ingest one file and wait for it; its document id."""
    job = services.wait_for_job(
        services.ingest_paths([path], collection, caller=OPERATOR)[0], TIMEOUT
    )
    assert job.status == "succeeded", job
    document_id = job.parameters["document_id"]
    assert isinstance(document_id, int)
    return document_id


def mining_library(services: Services, folder: Path) -> tuple[int, int]:
    """The English sentences in collection ``tm-en``, the Spanish (shuffled) in ``tm-es``;
    their document ids."""
    english = [en for en, _ in PLANTED] + ENGLISH_ONLY
    spanish = [SPANISH_ONLY[0], PLANTED[3][1], PLANTED[1][1], SPANISH_ONLY[1], PLANTED[0][1]]
    spanish.append(PLANTED[2][1])
    return (
        ingest(services, write_side(folder, "english.txt", english), "tm-en"),
        ingest(services, write_side(folder, "spanish.txt", spanish), "tm-es"),
    )
