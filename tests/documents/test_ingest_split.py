"""Sentence splitting by language family, with offsets that slice back to each sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from mexma_search.documents import Span, split_sentences


def sentences(text: str, lang: str) -> list[str]:
    spans = split_sentences(text, lang)
    for span in spans:
        piece = span.of(text)
        assert piece == piece.strip() and piece, "spans are trimmed and non-empty"
    assert spans == sorted(spans, key=lambda s: s.start), "spans are in order"
    return [span.of(text) for span in spans]


# Each language's text is its expected sentences joined by a space (nothing for zh and ja).
SENTENCES_BY_LANGUAGE: dict[str, list[str]] = {
    "en": [
        "The bakery opens at six.",
        "Is the bread fresh?",
        "Yes!",
        "It comes out at 6.30 a.m. daily.",
    ],
    "fr": [
        "La boulangerie ouvre à six heures.",
        "Le pain est-il frais ?",
        "Oui !",
        "M. Dupont le confirme.",
    ],
    "es": [
        "La panadería abre a las seis.",
        "¿Está fresco el pan?",
        "¡Sí!",
        "La Sra. Ortega lo hornea.",
    ],
    "de": [
        "Die Bäckerei öffnet um sechs.",
        "Ist das Brot frisch?",
        "Ja, z.B. die Brezeln.",
        "Sie kosten 1.20 Euro.",
    ],
    "zh": ["面包店六点开门。", "面包新鲜吗？", "当然！", "价格是3.5元。"],
    "ja": [
        "パン屋は六時に開きます。",
        "パンは新鮮ですか？",
        "「はい、焼きたてです。」",
        "と店員が言いました。",
    ],
    "th": ["ร้านขนมปังเปิดตอนหกโมงเช้า", "ขนมปังสดทุกวัน", "ปี 2567 ราคาไม่แพง"],
    "hi": ["बेकरी सुबह छह बजे खुलती है।", "क्या रोटी ताज़ा है?", "हाँ, हर दिन।"],
}


@pytest.mark.parametrize("lang", sorted(SENTENCES_BY_LANGUAGE))
def test_languages(lang: str) -> None:
    expected = SENTENCES_BY_LANGUAGE[lang]
    text = ("" if lang in {"zh", "ja"} else " ").join(expected)
    assert sentences(text, lang) == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Mr. Hale met Dr. Jones and Prof. Lee at St. Mary's."),
        ("en", "Bring fruit, e.g. Apples, and bread, i.e. Sourdough."),
        ("en", "We sold bread, cakes, etc. and buns."),
        ("en", "The river is 42.5 km long and 3.14 m deep."),
        ("en", "J. R. Smith wrote it."),
        ("fr", "Mme Lefèvre et M. Martin sont partis."),
        ("es", "El Sr. Gómez y la Sra. Ruiz llegaron."),
        ("de", "Das Brot, z.B. Roggenbrot, kostet ca. 3 Euro."),
        ("de", "Am 3. Oktober fährt kein Zug."),
    ],
)
def test_abbreviations_and_decimals_do_not_split(lang: str, text: str) -> None:
    assert sentences(text, lang) == [text]


def test_ordinal_only_after_article_or_preposition() -> None:
    text = "Der Zug fährt von Gleis 4. Am 3. Oktober fährt er nicht. Seit dem 2. Mai ist es so."
    assert sentences(text, "de") == [
        "Der Zug fährt von Gleis 4.",
        "Am 3. Oktober fährt er nicht.",
        "Seit dem 2. Mai ist es so.",
    ]


def test_lowercase_continuation_does_not_split() -> None:
    assert sentences("He said wait... and then left.", "en") == ["He said wait... and then left."]


def test_quotes_and_guillemets() -> None:
    assert sentences('He said "Stop." Then he left.', "en") == ['He said "Stop."', "Then he left."]
    french = "Il cria : « Reviens ! » Elle partit. « Viens », dit-il."
    assert sentences(french, "fr") == [
        "Il cria : « Reviens ! »",
        "Elle partit.",
        "« Viens », dit-il.",
    ]


def test_paragraph_break_always_splits() -> None:
    text = "The River Mill\n\nIt was built in 1820\n  \nand rebuilt later"
    assert sentences(text, "en") == ["The River Mill", "It was built in 1820", "and rebuilt later"]


def test_single_newline_does_not_split() -> None:
    assert sentences("The ferry crosses\nthe river.", "en") == ["The ferry crosses\nthe river."]


def test_no_english_rules_for_cjk_and_thai() -> None:
    # a Latin period followed by a capital is not a sentence end in Chinese or Thai text
    assert sentences("他说Mr. Smith来了。好的。", "zh") == ["他说Mr. Smith来了。", "好的。"]
    assert sentences("ราคา 3.5 บาท. Thai", "th") == ["ราคา 3.5 บาท. Thai"]


def test_full_width_terminators_split_in_any_language() -> None:
    assert sentences("Mixed text。Next one！", "und") == ["Mixed text。", "Next one！"]


def test_language_tags_are_normalised() -> None:
    assert sentences("面包店开门。好的。", "zh-Hans") == ["面包店开门。", "好的。"]


def test_offsets_slice_back_in_fixture(docs: Path) -> None:
    text = (docs / "train_de.txt").read_text(encoding="utf-8")
    spans = split_sentences(text, "de")
    assert spans[1] == Span(text.index("Der nächste"), text.index("Gleis 4.") + len("Gleis 4."))
    assert spans[2].of(text).startswith("Am 3. Oktober gilt der Feiertagsfahrplan, z.B. fahren")
    assert [s.of(text) for s in spans][-1] == "Hunde fahren kostenlos mit."


def test_empty_text() -> None:
    assert split_sentences("  \n\n ", "en") == []
