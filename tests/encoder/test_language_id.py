"""The one py3langid wrapper: loaded once, lazily, whatever the number of threads asking."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from mexma_search.encoder import language_id
from mexma_search.encoder.language_id import language_identifier


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    language_id._load.cache_clear()
    yield
    language_id._load.cache_clear()


def test_the_model_is_loaded_once_for_all_threads(
    fresh_cache: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = language_id.LanguageIdentifier.from_model_file
    loads: list[str] = []

    def slow_load(*args: Any, **kwargs: Any) -> Any:
        loads.append("load")
        time.sleep(0.05)
        return real(*args, **kwargs)

    monkeypatch.setattr(language_id.LanguageIdentifier, "from_model_file", slow_load)
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = list(pool.map(lambda _: language_identifier(), range(8)))
    assert loads == ["load"]
    assert all(identifier is found[0] for identifier in found)


def test_a_restriction_is_its_own_identifier(fresh_cache: None) -> None:
    restricted = language_identifier(("en", "fr"))
    assert restricted is not language_identifier()
    assert restricted.classify("Der Zug fährt um zwölf Uhr.")[0] in {"en", "fr"}
