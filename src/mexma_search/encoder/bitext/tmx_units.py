"""The structure of TMX files: translation units, their language variants and segments.

One incremental expat parser for both the bitext reader and the document parser. Entity
declarations are refused (no entity expansion attacks); external entities and DTDs are never
loaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from xml.parsers import expat

CHUNK_BYTES = 1 << 16
# Inline elements holding native markup codes, not text; <hi> and <sub> text outside them is kept.
_CODE_ELEMENTS = frozenset({"bpt", "ept", "it", "ph", "ut"})


class TmxError(ValueError):
    """A file that is not well-formed (or not allowed) XML, at ``line``."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class Variant:
    """A ``<tuv>``: its ``xml:lang`` (or TMX 1.1 ``lang``; None if missing), the line it
    starts on and the text of its ``<seg>`` elements (normally one)."""

    lang: str | None
    line: int
    segments: list[str] = field(default_factory=list)


@dataclass
class TranslationUnit:
    """A ``<tu>``: its ``tuid``, the line it starts on and its variants in file order."""

    tuid: str | None
    line: int
    variants: list[Variant] = field(default_factory=list)


class TmxUnitParser:
    """Feed bytes, get the translation units finished so far; :attr:`root` is the name of the
    root element once it has been read."""

    def __init__(self) -> None:
        self.root: str | None = None
        self.parser = expat.ParserCreate()  # no namespace processing: "xml:lang" stays literal
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._chars
        self.parser.EntityDeclHandler = self._refuse_entity
        self._finished: list[TranslationUnit] = []
        self._unit: TranslationUnit | None = None
        self._text: list[str] | None = None
        self._code_depth = 0

    def feed(self, data: bytes, *, final: bool = False) -> list[TranslationUnit]:
        """Parse ``data`` (``final``: the end of the file); the units it completed."""
        try:
            self.parser.Parse(data, final)
        except expat.ExpatError as exc:
            raise TmxError(
                f"broken XML at column {exc.offset + 1}: {expat.ErrorString(exc.code)}",
                exc.lineno,
            ) from None
        finished, self._finished = self._finished, []
        return finished

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        line = self.parser.CurrentLineNumber
        if self.root is None:
            self.root = name
        if name == "tu":
            self._unit = TranslationUnit(attrs.get("tuid"), line)
        elif name == "tuv" and self._unit is not None:
            lang = attrs.get("xml:lang") or attrs.get("lang") or None
            self._unit.variants.append(Variant(lang, line))
        elif name == "seg" and self._unit is not None and self._unit.variants:
            self._text = []
        elif self._text is not None and name in _CODE_ELEMENTS:
            self._code_depth += 1

    def _end(self, name: str) -> None:
        if name == "seg" and self._text is not None and self._unit is not None:
            self._unit.variants[-1].segments.append("".join(self._text))
            self._text = None
        elif self._text is not None and name in _CODE_ELEMENTS:
            self._code_depth -= 1
        elif name == "tu" and self._unit is not None:
            self._finished.append(self._unit)
            self._unit = None

    def _chars(self, data: str) -> None:
        if self._text is not None and self._code_depth == 0:
            self._text.append(data)

    def _refuse_entity(self, name: str, *args: object) -> None:
        raise TmxError(
            f"entity declarations are not allowed (<!ENTITY {name}>)",
            self.parser.CurrentLineNumber,
        )


def iter_units(stream: BinaryIO, parser: TmxUnitParser | None = None) -> Iterator[TranslationUnit]:
    """The translation units of a TMX stream, read chunk by chunk (memory bounded by a chunk)."""
    parser = parser or TmxUnitParser()
    while chunk := stream.read(CHUNK_BYTES):
        yield from parser.feed(chunk)
    yield from parser.feed(b"", final=True)
