"""py3langid's bundled language-id model: offline, loaded once and lazily, shared by threads."""

from __future__ import annotations

import threading
from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

_lock = threading.Lock()


def language_identifier(languages: tuple[str, ...] | None = None) -> LanguageIdentifier:
    """The identifier with normalised probabilities, restricted to ``languages`` if given.

    Each restriction is built on first use and kept (the few most recent ones).
    """
    with _lock:
        return _load(languages)


@lru_cache(maxsize=8)
def _load(languages: tuple[str, ...] | None) -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if languages is not None:
        identifier.set_languages(languages)
    return identifier
