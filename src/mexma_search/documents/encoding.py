"""Bytes to text: byte-order marks first, then UTF-8, then charset detection."""

from __future__ import annotations

import codecs

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
    best = from_bytes(data).best()
    if best is None:
        raise IngestError(source, "could not detect the text encoding (is this a binary file?)")
    return str(best)


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
