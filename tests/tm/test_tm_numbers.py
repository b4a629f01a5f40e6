"""Numbers read from digits and English / Spanish / French number words."""

from __future__ import annotations

import pytest

from mexma_search.tm.numbers import number_agreement, number_values


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The children of Bigvai, two thousand fifty-six.", {2056: 1}),
        ("Los hijos de Bigvai, dos mil sesenta y siete.", {2067: 1}),
        ("one hundred and twenty men and 2,056 sheep", {120: 1, 2056: 1}),
        ("setecientos veinticinco camellos", {725: 1}),
        ("quatre-vingt-dix-neuf brebis", {99: 1}),
        ("two or three witnesses, two and three", {2: 2, 3: 2}),
        ("El año 1.500 y el 1500", {1500: 2}),
    ],
)
def test_number_values(text: str, expected: dict[int, int]) -> None:
    assert dict(number_values(text)) == expected


def test_a_lone_one_is_an_article_not_a_number() -> None:
    assert not number_values("Un hombre tenía una oveja; one of them left.")
    assert dict(number_values("one thousand")) == {1000: 1}


def test_agreement_tells_a_near_translation_with_other_numbers() -> None:
    english = "The children of Bigvai, two thousand fifty-six."
    assert number_agreement(english, "Los hijos de Bigvai, dos mil cincuenta y seis.") == 1.0
    assert number_agreement(english, "Los hijos de Bigvai, dos mil sesenta y siete.") == 0.0
    assert number_agreement("seven sons and three daughters", "siete hijos y dos hijas") == 1 / 3
    assert number_agreement("In the beginning", "En el principio") is None
