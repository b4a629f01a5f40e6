"""Translation memories (.tmx): every segment of every language is a unit with its language."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from mexma_search.documents.document import ParsedDocument
from mexma_search.documents.errors import IngestError

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Inline elements holding native codes (formatting tags of the source format), not text.
_CODE_ELEMENTS = frozenset({"bpt", "ept", "it", "ph", "ut"})


def parse_tmx(data: bytes, source: str) -> ParsedDocument:
    """Each ``<tuv>`` segment in file order, with its ``xml:lang`` (or TMX 1.1 ``lang``)."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise IngestError(source, f"is not well-formed XML ({exc})") from exc
    if etree.QName(root).localname != "tmx":
        raise IngestError(source, f"is not a TMX file (root element <{root.tag}>)")
    return ParsedDocument.from_units(_segments(root), "tmx")


def _segments(root: etree._Element) -> Iterator[tuple[str, str | None]]:
    for tuv in root.iter("tuv"):
        language = tuv.get(_XML_LANG) or tuv.get("lang")
        for seg in tuv.iter("seg"):
            yield _inline_text(seg), language


def _inline_text(element: etree._Element) -> str:
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag not in _CODE_ELEMENTS:
            parts.append(_inline_text(child))
        parts.append(child.tail or "")
    return "".join(parts)
