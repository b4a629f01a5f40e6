"""Translation memories (.tmx): every segment of every language is a unit with its language."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from mexma_search.documents.document import ParsedDocument
from mexma_search.documents.errors import IngestError
from mexma_search.encoder.bitext.tmx_units import TmxError, TmxUnitParser, TranslationUnit


def parse_tmx(data: bytes, source: str) -> ParsedDocument:
    """Each ``<tuv>`` segment in file order, with its ``xml:lang`` (or TMX 1.1 ``lang``)."""
    parser = TmxUnitParser()
    try:
        units = parser.feed(data, final=True)
    except TmxError as exc:
        raise IngestError(source, f"is not well-formed XML (line {exc.line}: {exc})") from exc
    if parser.root != "tmx":
        raise IngestError(source, f"is not a TMX file (root element <{parser.root}>)")
    return ParsedDocument.from_units(_segments(units), "tmx")


def _segments(units: Sequence[TranslationUnit]) -> Iterator[tuple[str, str | None]]:
    for unit in units:
        for variant in unit.variants:
            for segment in variant.segments:
                yield segment, variant.lang
