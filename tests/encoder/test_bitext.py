"""Bitext readers: every format, header detection, column and language choice, streaming."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from collections.abc import Callable
from itertools import islice
from pathlib import Path

import pytest

from mexma_search.encoder.bitext import BitextError, BitextPair, read_bitext, tmx_language_counts

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bitext"
FIRST = ("The river flows through the old town.", "El río atraviesa el casco antiguo.")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _texts(pairs: list[BitextPair]) -> list[tuple[str, str]]:
    return [(p.src, p.trg) for p in pairs]


@pytest.mark.parametrize("name", ["sample.tsv", "sample.csv", "sample.jsonl", "sample.tmx"])
def test_equivalent_inputs_give_identical_pairs(name: str) -> None:
    reference = list(read_bitext(FIXTURES / "sample.tsv"))
    pairs = list(read_bitext(FIXTURES / name))
    assert len(pairs) == 5
    strip_line = [(p.src, p.trg, p.src_lang, p.trg_lang, p.ref) for p in pairs]
    assert strip_line == [(p.src, p.trg, p.src_lang, p.trg_lang, p.ref) for p in reference]
    assert pairs[1].src == 'She said "good morning" to everyone.'
    assert pairs[2].trg == "Pan, queso y vino."


def test_two_text_files_match_tsv_and_take_languages_from_suffixes() -> None:
    pairs = list(read_bitext(FIXTURES / "sample.en", second_path=FIXTURES / "sample.es"))
    assert _texts(pairs) == _texts(list(read_bitext(FIXTURES / "sample.tsv")))
    assert [p.line for p in pairs] == [1, 2, 3, 4, 5]
    assert (pairs[0].src_lang, pairs[0].trg_lang, pairs[0].ref) == ("en", "es", None)


def test_tsv_header_declares_languages_and_ref_and_lines_count_the_header() -> None:
    first = next(read_bitext(FIXTURES / "sample.tsv"))
    assert first == BitextPair(*FIRST, line=2, src_lang="en", trg_lang="es", ref="r1")


def test_tsv_columns_by_index_and_by_language(tmp_path: Path) -> None:
    by_index = next(read_bitext(FIXTURES / "sample.tsv", src_column=2, trg_column=1))
    by_lang = next(read_bitext(FIXTURES / "sample.tsv", src_lang="ES", trg_lang="en"))
    for pair in (by_index, by_lang):
        assert (pair.src, pair.trg) == FIRST[::-1]
    assert (by_index.src_lang, by_index.trg_lang) == ("es", "en")
    by_name = next(read_bitext(FIXTURES / "sample.tsv", src_column="es", trg_column="ref"))
    assert by_name.trg == "r1"


def test_headerless_tsv_starts_at_line_one(tmp_path: Path) -> None:
    path = _write(tmp_path / "plain.tsv", "Good morning.\tBuenos días.\nThank you.\tGracias.\n")
    pairs = list(read_bitext(path))
    assert [(p.line, p.src, p.trg, p.src_lang) for p in pairs] == [
        (1, "Good morning.", "Buenos días.", None),
        (2, "Thank you.", "Gracias.", None),
    ]


def test_header_detection_src_trg_names_and_override(tmp_path: Path) -> None:
    named = _write(tmp_path / "named.tsv", "source\ttarget\nHello there.\tHola.\n")
    assert [(p.line, p.src, p.src_lang) for p in read_bitext(named)] == [(2, "Hello there.", None)]
    data_like = _write(tmp_path / "codes.tsv", "en\tes\nyes\tsí\n")
    assert len(list(read_bitext(data_like))) == 1
    assert [p.src for p in read_bitext(data_like, header=False)] == ["en", "yes"]
    custom = _write(tmp_path / "custom.tsv", "english\tspanish\nHello.\tHola.\n")
    assert next(read_bitext(custom)).src == "english"
    pair = next(read_bitext(custom, src_column="spanish", trg_column="english"))
    assert (pair.src, pair.trg, pair.line) == ("Hola.", "Hello.", 2)


def test_blank_tsv_line_is_a_pair_with_empty_sides(tmp_path: Path) -> None:
    path = _write(tmp_path / "gap.tsv", "en\tes\nOne.\tUno.\n\nTwo.\tDos.\n")
    assert [(p.line, p.src) for p in read_bitext(path)] == [(2, "One."), (3, ""), (4, "Two.")]


def test_csv_multiline_field_keeps_line_numbers_of_row_starts(tmp_path: Path) -> None:
    path = _write(tmp_path / "multi.csv", 'src,trg\n"Line one\nline two","Uno, dos"\nNext.,Sig.\n')
    pairs = list(read_bitext(path))
    assert [(p.line, p.src, p.trg) for p in pairs] == [
        (2, "Line one\nline two", "Uno, dos"),
        (4, "Next.", "Sig."),
    ]


def test_tsv_fields_are_unquoted(tmp_path: Path) -> None:
    path = _write(tmp_path / "quotes.tsv", 'src\ttrg\n"Quoted" start.\t«Citado» "x\n')
    assert _texts(list(read_bitext(path))) == [('"Quoted" start.', '«Citado» "x')]


def test_gzip_and_format_override(tmp_path: Path) -> None:
    path = tmp_path / "data.tsv.gz"
    path.write_bytes(gzip.compress((FIXTURES / "sample.tsv").read_bytes()))
    assert next(read_bitext(path)).src == FIRST[0]
    renamed = tmp_path / "data.txt"
    renamed.write_bytes((FIXTURES / "sample.jsonl").read_bytes())
    assert next(read_bitext(renamed, fmt="jsonl")).ref == "r1"


def test_jsonl_key_detection(tmp_path: Path) -> None:
    rows = [{"id": 7, "score": 0.9, "a": "Hello there.", "b": "Hola."}]
    two_strings = _write(tmp_path / "two.jsonl", json.dumps(rows[0]) + "\n\n")
    assert [(p.src, p.trg, p.ref, p.src_lang) for p in read_bitext(two_strings)] == [
        ("Hello there.", "Hola.", "7", None)
    ]
    src_trg = _write(tmp_path / "st.jsonl", '{"note": "x", "trg": "Hola.", "src": "Hi."}\n')
    assert _texts(list(read_bitext(src_trg))) == [("Hi.", "Hola.")]
    chosen = next(read_bitext(two_strings, src_column="b", trg_column="a", src_lang="es"))
    assert (chosen.src, chosen.src_lang, chosen.trg_lang) == ("Hola.", "es", None)


TMX_MULTI = """<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4"><header srclang="fr" adminlang="en" segtype="sentence" datatype="plaintext"
 creationtool="t" creationtoolversion="1" o-tmf="none"/>
<body>
<tu tuid="a">
  <tuv xml:lang="fr"><seg>Bonjour.</seg></tuv>
  <tuv xml:lang="en-US"><seg>Hello <ph x="1">&lt;br/&gt;</ph>my <hi>dear</hi> friend.</seg></tuv>
  <tuv lang="ES"><seg>Hola.</seg></tuv>
</tu>
<tu tuid="b">
  <tuv xml:lang="EN-us"><seg>Thanks.</seg></tuv>
  <tuv xml:lang="es"><seg>Gracias.</seg></tuv>
</tu>
<tu tuid="c">
  <tuv xml:lang="en-US"><seg>Only English.</seg></tuv>
</tu>
<tu tuid="d"><tuv xml:lang="de"><seg>Nur Deutsch.</seg></tuv></tu>
</body></tmx>
"""


def test_tmx_default_languages_are_the_two_most_frequent(tmp_path: Path) -> None:
    path = _write(tmp_path / "multi.tmx", TMX_MULTI)
    assert tmx_language_counts(path) == {"fr": 1, "en-us": 3, "es": 2, "de": 1}
    pairs = list(read_bitext(path))
    assert [(p.line, p.ref, p.src, p.trg) for p in pairs] == [
        (5, "a", "Hello my dear friend.", "Hola."),
        (10, "b", "Thanks.", "Gracias."),
        (14, "c", "Only English.", ""),
    ]
    assert (pairs[0].src_lang, pairs[0].trg_lang) == ("en-us", "es")


def test_tmx_explicit_languages_and_primary_subtag_matching(tmp_path: Path) -> None:
    path = _write(tmp_path / "multi.tmx", TMX_MULTI)
    french = list(read_bitext(path, src_lang="fr", trg_lang="en-us"))
    assert _texts(french) == [
        ("Bonjour.", "Hello my dear friend."),
        ("", "Thanks."),
        ("", "Only English."),
    ]
    only_trg = list(read_bitext(path, trg_lang="fr"))
    assert (only_trg[0].src_lang, only_trg[0].src) == ("en-us", "Hello my dear friend.")
    primary = list(read_bitext(path, src_lang="es", trg_lang="en", match_primary=True))
    assert _texts(primary)[:2] == [("Hola.", "Hello my dear friend."), ("Gracias.", "Thanks.")]
    with pytest.raises(BitextError, match=r"no <tu> has a 'it' or 'pt' variant.*en-us \(3\)"):
        list(read_bitext(path, src_lang="it", trg_lang="pt"))


def test_tmx_with_one_language_names_what_it_found(tmp_path: Path) -> None:
    path = _write(tmp_path / "mono.tmx", TMX_MULTI.replace('lang="ES"', 'lang="fr"'))
    only_de = _write(
        tmp_path / "de.tmx",
        "<tmx><body><tu><tuv xml:lang='de'><seg>x</seg></tuv></tu></body></tmx>",
    )
    assert len(list(read_bitext(path))) == 3
    with pytest.raises(BitextError, match=r"de.tmx: needs two languages but found: de \(1\)"):
        list(read_bitext(only_de))


def _big_tsv(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8") as f:
        f.write("ref\ten\tes\n")
        for i in range(rows):
            f.write(f"v{i}\tThis is English sentence number {i}.\tEsta es la frase número {i}.\n")
    return path


def _peak_bytes(run: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_readers_stream_large_files(tmp_path: Path) -> None:
    path = _big_tsv(tmp_path / "big.tsv", 200_000)
    assert path.stat().st_size > 10_000_000
    pairs = read_bitext(path)
    first_peak = _peak_bytes(lambda: next(pairs))
    pairs.close()
    assert first_peak < 1_000_000

    def count() -> None:
        assert sum(1 for _ in islice(read_bitext(path), 50_000)) == 50_000

    assert _peak_bytes(count) < 1_000_000


def test_tmx_is_parsed_incrementally(tmp_path: Path) -> None:
    path = tmp_path / "big.tmx"
    with path.open("w", encoding="utf-8") as f:
        f.write("<tmx version='1.4'><header/><body>\n")
        for i in range(20_000):
            f.write(f"<tu><tuv xml:lang='en'><seg>Sentence {i}.</seg></tuv>")
            f.write(f"<tuv xml:lang='es'><seg>Frase {i}.</seg></tuv></tu>\n")
        f.write("</body></tmx>\n")
    assert path.stat().st_size > 1_500_000
    seen: list[int] = []
    peak = _peak_bytes(lambda: seen.append(sum(1 for _ in read_bitext(path))))
    assert seen == [20_000]
    assert peak < 1_000_000
