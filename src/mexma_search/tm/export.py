"""Writing sentence pairs as TSV or TMX 1.4 files that the bitext readers read back.

TSV: a header ``<src_lang> <trg_lang> score``, one pair a line, fields unquoted; tabs and
line breaks inside a text become spaces. TMX: one ``<tu>`` a pair with its score as a
``<prop type="x-score">``; text is escaped (carriage returns as ``&#13;``, which XML parsers
would otherwise turn into line feeds), and characters XML 1.0 forbids are left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TextIO
from xml.sax.saxutils import escape, quoteattr

EXPORT_FORMATS = ("tsv", "tmx")
_TSV_BREAKS = re.compile(r"[\t\r\n]+")
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class ScoredPair(Protocol):
    """What an export needs of a pair."""

    @property
    def src(self) -> str: ...

    @property
    def trg(self) -> str: ...

    @property
    def score(self) -> float: ...


def export_format(path: Path) -> str:
    """``tsv`` or ``tmx`` from the file name; ``ValueError`` naming the choices otherwise."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in EXPORT_FORMATS:
        raise ValueError(f"{path.name}: the output must end in .tsv or .tmx")
    return suffix


def _tsv_field(text: str) -> str:
    return _TSV_BREAKS.sub(" ", text).strip()


def write_tsv(out: TextIO, pairs: Iterable[ScoredPair], src_lang: str, trg_lang: str) -> None:
    out.write(f"{src_lang}\t{trg_lang}\tscore\n")
    for pair in pairs:
        out.write(f"{_tsv_field(pair.src)}\t{_tsv_field(pair.trg)}\t{pair.score:.4f}\n")


def _xml_text(text: str) -> str:
    return escape(_XML_FORBIDDEN.sub("", text)).replace("\r", "&#13;")


def write_tmx(out: TextIO, pairs: Iterable[ScoredPair], src_lang: str, trg_lang: str) -> None:
    created = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4">\n')
    out.write(
        f'  <header creationtool="mexma-search" creationtoolversion="1" segtype="sentence" '
        f'o-tmf="mexma-search" adminlang="en" srclang={quoteattr(src_lang)} '
        f'datatype="plaintext" creationdate="{created}"/>\n  <body>\n'
    )
    for number, pair in enumerate(pairs, start=1):
        out.write(
            f'    <tu tuid="{number}">\n'
            f'      <prop type="x-score">{pair.score:.4f}</prop>\n'
            f"      <tuv xml:lang={quoteattr(src_lang)}><seg>{_xml_text(pair.src)}</seg></tuv>\n"
            f"      <tuv xml:lang={quoteattr(trg_lang)}><seg>{_xml_text(pair.trg)}</seg></tuv>\n"
            "    </tu>\n"
        )
    out.write("  </body>\n</tmx>\n")


def export_pairs(path: Path, pairs: Iterable[ScoredPair], src_lang: str, trg_lang: str) -> Path:
    """Write ``pairs`` to ``path`` as TSV or TMX (by its suffix); the file appears complete."""
    writer = write_tmx if export_format(path) == "tmx" else write_tsv
    partial = path.with_name(f".{path.name}.part")
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as out:
            writer(out, pairs, src_lang, trg_lang)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path
