"""The numbers a sentence states, in digits or in English, Spanish or French words.

Formulaic verses and lists differ from their near-translations mostly in numbers ("two
thousand fifty-six" / "dos mil sesenta y siete"), which sentence vectors barely see. A run of
number words is read as one value (``dos mil sesenta y siete`` -> 2067); a lone "one" / "un" /
"une" is left out, being far more often a pronoun or an article than a number.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

_UNITS = {
    # English
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
    "million": 10**6,
    # Spanish (accents stripped)
    "cero": 0, "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
    "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12,
    "trece": 13, "catorce": 14, "quince": 15, "dieciseis": 16, "diecisiete": 17,
    "dieciocho": 18, "diecinueve": 19, "veinte": 20, "veintiun": 21, "veintiuno": 21,
    "veintiuna": 21, "veintidos": 22, "veintitres": 23, "veinticuatro": 24,
    "veinticinco": 25, "veintiseis": 26, "veintisiete": 27, "veintiocho": 28,
    "veintinueve": 29, "treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60,
    "setenta": 70, "ochenta": 80, "noventa": 90, "cien": 100, "ciento": 100,
    "doscientos": 200, "doscientas": 200, "trescientos": 300, "trescientas": 300,
    "cuatrocientos": 400, "cuatrocientas": 400, "quinientos": 500, "quinientas": 500,
    "seiscientos": 600, "seiscientas": 600, "setecientos": 700, "setecientas": 700,
    "ochocientos": 800, "ochocientas": 800, "novecientos": 900, "novecientas": 900,
    "mil": 1000, "millon": 10**6, "millones": 10**6,
    # French (accents stripped; "un" is shared with Spanish)
    "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8,
    "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14,
    "quinze": 15, "seize": 16, "vingt": 20, "vingts": 20, "trente": 30, "quarante": 40,
    "cinquante": 50, "soixante": 60, "cent": 100, "cents": 100, "mille": 1000,
    "millions": 10**6,
}  # fmt: skip
_MULTIPLIERS = {100, 1000, 10**6}
_CONNECTORS = {"and", "y", "et"}
_TOKEN = re.compile(r"\d+(?:[.,]\d{3})*|[^\W\d_]+")
_DIGITS = re.compile(r"\d+(?:[.,]\d{3})*")


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def number_values(text: str) -> Counter[int]:
    """The numbers ``text`` states, digits and number words, with their counts."""
    values: Counter[int] = Counter()
    run: list[int] = []
    pending_connector = False
    for match in _TOKEN.finditer(text.replace("-", " ")):
        token = match.group()
        if _DIGITS.fullmatch(token):
            _close(run, values)
            run, pending_connector = [], False
            values[int(re.sub(r"[.,]", "", token))] += 1
            continue
        word = _fold(token)
        value = _UNITS.get(word)
        if value is not None:
            joins = not pending_connector or (run[-1] >= 20 and value < run[-1])
            if run and not joins:
                _close(run, values)
                run = []
            run.append(value)
            pending_connector = False
        elif word in _CONNECTORS and run and not pending_connector:
            pending_connector = True
        else:
            _close(run, values)
            run, pending_connector = [], False
    _close(run, values)
    return values


def _close(run: list[int], values: Counter[int]) -> None:
    if run and not (len(run) == 1 and run[0] == 1):
        values[_run_value(run)] += 1


def _run_value(run: list[int]) -> int:
    """One value from a run of number-word values: "two thousand fifty six" -> 2056."""
    total, current = 0, 0
    for i, value in enumerate(run):
        if value == 20 and i > 0 and 2 <= run[i - 1] <= 9 and current == run[i - 1]:
            current *= 20  # quatre-vingt(s)
        elif value == 100:
            current = max(current, 1) * 100
        elif value in _MULTIPLIERS:
            total += max(current, 1) * value
            current = 0
        else:
            current += value
    return total + current


def number_agreement(src: str, trg: str) -> float | None:
    """Shared share of the numbers the two texts state (multiset Jaccard), ``None`` when
    neither states one."""
    a, b = number_values(src), number_values(trg)
    union = sum((a | b).values())
    return sum((a & b).values()) / union if union else None
