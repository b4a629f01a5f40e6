"""The pair type, the error type and language-code helpers shared by the readers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# ISO 639-1: two-letter codes recognised as column names / keys that declare a language.
_ISO_639_1_CODES = """
    aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv
    cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht
    hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la
    lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj
    om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv
    sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu"""
ISO_639_1 = frozenset(_ISO_639_1_CODES.split())
# en, en-US, pt_BR, zh-Hant-TW, or a FLORES/NLLB code such as eng_Latn.
_TWO_LETTER = re.compile(r"^([a-z]{2})([-_][a-z0-9]{2,8})*$")
_NLLB = re.compile(r"^[a-z]{3}_[a-z]{4}$")


@dataclass(frozen=True, slots=True)
class BitextPair:
    """One translation pair.

    ``line`` is the 1-based line of the pair in the (first) source file; for TMX the line of
    its ``<tu>``. ``src_lang``/``trg_lang`` are the languages the file or caller declared
    (column names, TMX ``xml:lang``, explicit arguments), ``None`` when unknown. ``ref`` is
    the pair's identifier (a ``ref``/``id`` column or key, a TMX ``tuid``), if any.
    """

    src: str
    trg: str
    line: int
    src_lang: str | None = None
    trg_lang: str | None = None
    ref: str | None = None


class BitextError(ValueError):
    """A bitext file that cannot be read; the message names the file, the line and the problem."""

    def __init__(self, problem: str, *, path: str | Path | None = None, line: int | None = None):
        self.problem = problem
        self.path = None if path is None else str(path)
        self.line = line
        super().__init__(self.naming(self.path))

    def naming(self, name: str | None) -> str:
        """The message with the file shown as ``name`` (a server must not show its own paths
        to a client)."""
        where = name or ""
        if self.line is not None:
            where = f"{where}, line {self.line}" if where else f"line {self.line}"
        return f"{where}: {self.problem}" if where else self.problem

    @property
    def brief(self) -> str:
        """The message with the file's name only, no directory."""
        return self.naming(None if self.path is None else Path(self.path).name)


def normalize_lang(code: str) -> str:
    """Lower-case a language tag and use ``-`` between subtags (``en_US`` -> ``en-us``)."""
    return code.strip().lower().replace("_", "-")


def primary_subtag(code: str) -> str:
    """The primary language subtag of a tag (``en-US`` -> ``en``)."""
    return normalize_lang(code).split("-", 1)[0]


def lang_matches(a: str, b: str, *, primary: bool = False) -> bool:
    """Whether two language tags name the same language, case-insensitively.

    With ``primary=True`` only the primary subtags are compared (``en-US`` matches ``en``).
    """
    if primary:
        return primary_subtag(a) == primary_subtag(b)
    return normalize_lang(a) == normalize_lang(b)


def is_language_code(name: str) -> bool:
    """Whether a column name or key looks like a language code (``en``, ``pt-BR``, ``eng_Latn``)."""
    lowered = name.strip().lower()
    match = _TWO_LETTER.match(lowered)
    if match:
        return match.group(1) in ISO_639_1
    return bool(_NLLB.match(lowered))
