"""Malformed bitext files stop with a BitextError naming the file, the line and the problem."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from mexma_search.encoder.bitext import BitextError, read_bitext, read_splits


def _write(path: Path, data: str | bytes) -> Path:
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def _error(call: Callable[[], Iterable[object]]) -> BitextError:
    with pytest.raises(BitextError) as caught:
        list(call())
    return caught.value


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BitextError, match=r"nope\.tsv: file not found"):
        read_bitext(tmp_path / "nope.tsv")
    with pytest.raises(BitextError, match=r"trg\.es: file not found"):
        read_bitext(_write(tmp_path / "src.en", "a\n"), second_path=tmp_path / "trg.es")


def test_invalid_utf8_names_line_and_byte(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.tsv", b"src\ttrg\nok\tbien\nbad \xff\tmal\n")
    error = _error(lambda: read_bitext(path))
    assert str(error).startswith(f"{path}, line 3: invalid UTF-8")
    assert "byte 4 of the line (byte 20 of the file)" in str(error)
    assert (error.path, error.line) == (str(path), 3)


def test_invalid_utf8_in_the_target_file_names_that_file(tmp_path: Path) -> None:
    src = _write(tmp_path / "a.en", "one\ntwo\n")
    trg = _write(tmp_path / "a.es", b"uno\ndos \xe9\n")
    assert str(_error(lambda: read_bitext(src, second_path=trg))).startswith(
        f"{trg}, line 2: invalid UTF-8"
    )


def test_different_line_counts_name_both_files(tmp_path: Path) -> None:
    src = _write(tmp_path / "a.en", "one\ntwo\nthree\n")
    trg = _write(tmp_path / "a.es", "uno\ndos\n")
    message = str(_error(lambda: read_bitext(src, second_path=trg)))
    assert message == (f"{src}, line 3: line counts differ: {src} has 3 lines, {trg} has 2 lines")
    longer = _write(tmp_path / "b.es", "uno\ndos\ntres\ncuatro\ncinco\n")
    message = str(_error(lambda: read_bitext(src, second_path=longer)))
    assert f"{src} has 3 lines, {longer} has 5 lines" in message


def test_row_with_wrong_number_of_fields(tmp_path: Path) -> None:
    path = _write(tmp_path / "cols.tsv", "ref\ten\tes\n1\tOne.\tUno.\n2\tTwo.\n")
    message = str(_error(lambda: read_bitext(path)))
    assert message == f"{path}, line 3: expected 3 tab-separated fields, found 2"


def test_named_column_missing_lists_available_columns(tmp_path: Path) -> None:
    path = _write(tmp_path / "cols.tsv", "ref\ten\tes\n1\tOne.\tUno.\n")
    message = str(_error(lambda: read_bitext(path, src_column="fr", trg_column="en")))
    assert message == (
        f"{path}, line 1: source column 'fr' is not in the header; available: ref, en, es"
    )
    message = str(_error(lambda: read_bitext(path, src_column=0, trg_column=5)))
    assert "line 1: target column index 5 is out of range: rows have 3 fields" in message


def test_ambiguous_columns_ask_for_a_choice(tmp_path: Path) -> None:
    path = _write(tmp_path / "three.tsv", "a\tb\tc\n")
    assert "line 1: cannot tell which columns" in str(_error(lambda: read_bitext(path)))


def test_csv_broken_quoting(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.csv", 'src,trg\n"ok","fine"\n"broken"x,"y"\n')
    message = str(_error(lambda: read_bitext(path)))
    assert message.startswith(f"{path}, line 3: malformed row:")


def test_broken_xml_reports_the_parser_line(tmp_path: Path) -> None:
    text = "<tmx><body>\n<tu>\n<tuv xml:lang='en'><seg>Hi</seg></tuv>\n</tuv>\n</body></tmx>\n"
    path = _write(tmp_path / "bad.tmx", text)
    message = str(_error(lambda: read_bitext(path, src_lang="en", trg_lang="es")))
    assert message == f"{path}, line 4: broken XML at column 3: mismatched tag"


def test_tmx_invalid_utf8_is_reported_with_its_line(tmp_path: Path) -> None:
    data = b"<tmx><body>\n<tu><tuv xml:lang='en'><seg>caf\xe9</seg></tuv></tu>\n</body></tmx>"
    path = _write(tmp_path / "latin1.tmx", data)
    message = str(_error(lambda: read_bitext(path, src_lang="en", trg_lang="es")))
    assert re.match(
        rf"{re.escape(str(path))}, line 2: broken XML at column \d+: not well-formed", message
    )


def test_tmx_tuv_without_language(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "nolang.tmx", "<tmx><body>\n<tu>\n<tuv><seg>x</seg></tuv></tu></body></tmx>"
    )
    message = str(_error(lambda: read_bitext(path)))
    assert message == f"{path}, line 3: <tuv> has no xml:lang attribute"


def test_jsonl_errors(tmp_path: Path) -> None:
    bad_json = _write(tmp_path / "bad.jsonl", '{"src": "a", "trg": "b"}\n{"src": "a",\n')
    assert str(_error(lambda: read_bitext(bad_json))).startswith(
        f"{bad_json}, line 2: invalid JSON at column"
    )
    missing = _write(tmp_path / "miss.jsonl", '{"src": "a", "trg": "b"}\n\n{"src": "c"}\n')
    assert str(_error(lambda: read_bitext(missing))) == (
        f"{missing}, line 3: key 'trg' is missing; keys present: src"
    )
    not_text = _write(tmp_path / "num.jsonl", '{"src": "a", "trg": "b"}\n{"src": "c", "trg": 5}\n')
    assert "line 2: value of 'trg' is int, expected a string" in str(
        _error(lambda: read_bitext(not_text))
    )
    array = _write(tmp_path / "arr.jsonl", '["a", "b"]\n')
    assert "line 1: expected a JSON object, found list" in str(_error(lambda: read_bitext(array)))


def test_unknown_format_and_misplaced_options(tmp_path: Path) -> None:
    path = _write(tmp_path / "data.xlsx", "x")
    with pytest.raises(BitextError, match=r"data\.xlsx: cannot tell the bitext format"):
        read_bitext(path)
    with pytest.raises(BitextError, match="tmx files have no columns"):
        read_bitext(_write(tmp_path / "a.tmx", "<tmx/>"), src_column="en")


def test_splits_file_errors(tmp_path: Path) -> None:
    overlap = tmp_path / "overlap.json"
    overlap.write_text('{"seed": 1, "train": ["a", "b"], "dev": ["b"], "test": []}')
    with pytest.raises(BitextError, match=r"overlap\.json: 1 refs are in both train and dev"):
        read_splits(overlap)
    broken = tmp_path / "broken.json"
    broken.write_text('{"seed": 1,\n "train": [}')
    with pytest.raises(BitextError, match=r"broken\.json, line 2: invalid JSON"):
        read_splits(broken)
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"train": ["a"], "dev": "b", "test": []}')
    with pytest.raises(BitextError, match="'dev' must be a list of ref strings"):
        read_splits(wrong)


def test_tmx_entity_declarations_are_refused(tmp_path: Path) -> None:
    laughs = '<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    text = f"<!DOCTYPE tmx [\n{laughs}]>\n<tmx><body><tu><tuv xml:lang='en'><seg>&b;</seg>"
    path = _write(tmp_path / "laughs.tmx", text + "</tuv></tu></body></tmx>")
    message = str(_error(lambda: read_bitext(path, src_lang="en", trg_lang="es")))
    assert message == f"{path}, line 2: entity declarations are not allowed (<!ENTITY a>)"
