"""Bytes to text: byte-order marks first, then UTF-8, then Western single-byte text, then
charset detection."""

from __future__ import annotations

import codecs
import unicodedata

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


def decode_text(data: bytes, source: str, declared: str | None = None) -> str:
    """Decode ``data``: a BOM wins, then a ``declared`` encoding, then UTF-8, then detection.

    Raises:
        IngestError: the bytes are not text in any encoding that can be recognised.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode(data[len(bom) :], encoding, source)
    if declared is not None and _is_known_codec(declared):
        try:
            return data.decode(declared)
        except UnicodeDecodeError:
            pass  # the declaration lies; fall through to detection
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    western = _western_text(data)
    if western is not None:
        return western
    best = from_bytes(data).best()
    if best is None:
        raise IngestError(source, "could not detect the text encoding (is this a binary file?)")
    return str(best)


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
