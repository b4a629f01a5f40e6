"""Bytes to text: byte-order marks first, then UTF-8, then Western single-byte text, then
charset detection."""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

from charset_normalizer import from_bytes

from mexma_search.documents.errors import IngestError

# UTF-32 LE must be tried before UTF-16 LE: its BOM starts with the UTF-16 LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True, slots=True)
class DecodedText:
    """A file's text and the encoding it was read in (a Python codec name, e.g. ``cp1252``)."""

    text: str
    encoding: str


def text_encoding(name: str) -> str:
    """The codec name of a text encoding (``Windows-1252`` -> ``cp1252``).

    Raises:
        ValueError: ``name`` is no text encoding Python knows (``base64`` is not a text one).
    """
    try:
        b"x".decode(name.strip(), "ignore")  # refuses bytes-to-bytes codecs (base64) too
        return codecs.lookup(name.strip()).name
    except (LookupError, ValueError):
        raise ValueError(
            f"unknown text encoding {name!r}; e.g. utf-8, cp1252 (Western), latin-1, "
            "cp1250 (Central European), cp1251 (Cyrillic), shift_jis, gb18030"
        ) from None


def decode_text(data: bytes, source: str, declared: str | None = None) -> str:
    """``data`` as text (see :func:`read_text`)."""
    return read_text(data, source, declared).text


def read_text(
    data: bytes, source: str, declared: str | None = None, *, chosen: str | None = None
) -> DecodedText:
    """Decode ``data``: a ``chosen`` encoding (the user's) is applied as it is; otherwise a
    BOM wins, then a ``declared`` encoding, then UTF-8, then Western text, then detection.

    Raises:
        IngestError: the bytes are not text in any encoding that can be recognised, or not
            valid in the chosen one.
    """
    if chosen is not None:
        encoding = text_encoding(chosen)
        return DecodedText(_decode(data, encoding, source).removeprefix("\ufeff"), encoding)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return DecodedText(_decode(data[len(bom) :], encoding, source), encoding)
    if declared is not None and _is_known_codec(declared):
        try:
            return DecodedText(data.decode(declared), codecs.lookup(declared).name)
        except UnicodeDecodeError:
            pass  # the declaration lies; fall through to detection
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    western = _western_text(data)
    if western is not None:
        return DecodedText(western, "cp1252")
    best = from_bytes(data).best()
    if best is None:
        raise IngestError(source, "could not detect the text encoding (is this a binary file?)")
    return DecodedText(str(best), codecs.lookup(best.encoding).name)


# Western European text in Windows-1252 (a superset of Latin-1's printable characters) is
# mostly ASCII with a few accented letters; detectors guess wrong on short samples of it
# ("El niño" as Big5 or Windows-1250), so it is recognised before them. Other single-byte
# scripts (Cyrillic, Greek) read as Windows-1252 come out almost all non-ASCII, or with symbols
# no Western text uses, and go on to detection.
_WESTERN_PUNCTUATION = frozenset("€‘’‚“”„–—…«»¡¿°·×÷§©®™•\xa0")
_WESTERN_MAX_SHARE = 0.3


def _western_text(data: bytes) -> str | None:
    """``data`` as Windows-1252 when it reads as Western European text, else None."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:  # a byte Windows-1252 leaves undefined
        return None
    letters = non_ascii = 0
    for char in text:
        if char.isascii():
            letters += char.isalpha()
            continue
        if char in _WESTERN_PUNCTUATION:
            continue
        if not (unicodedata.category(char).startswith("L") and ord(char) < 0x180):
            return None
        letters += 1
        non_ascii += 1
    return text if non_ascii <= _WESTERN_MAX_SHARE * letters else None


def _decode(data: bytes, encoding: str, source: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise IngestError(source, f"invalid {encoding} text at byte {exc.start}") from exc


def _is_known_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True
