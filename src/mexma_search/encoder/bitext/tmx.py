"""TMX 1.4 bitext reader: incremental expat parsing, memory bounded by one chunk."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from xml.parsers import expat

from mexma_search.encoder.bitext.core import (
    BitextError,
    BitextPair,
    lang_matches,
    normalize_lang,
    primary_subtag,
)
from mexma_search.encoder.bitext.textio import open_binary

CHUNK_BYTES = 1 << 16
# Inline elements holding native markup codes, not text; <hi> and <sub> text outside them is kept.
_CODE_ELEMENTS = frozenset({"bpt", "ept", "it", "ph", "ut"})


class _TmxHandler:
    """Expat callbacks collecting language counts and, when ``langs`` is set, finished pairs."""

    def __init__(self, path: Path, langs: tuple[str, str] | None, primary: bool) -> None:
        self.path = path
        self.langs = langs
        self.primary = primary
        self.counts: Counter[str] = Counter()
        self.ready: list[BitextPair] = []
        self.pairs_found = 0
        self.parser = expat.ParserCreate()  # no namespace processing: "xml:lang" stays literal
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._chars
        self._tu_line = 0
        self._tuid: str | None = None
        self._lang = ""
        self._segs: dict[str, str] = {}
        self._text: list[str] = []
        self._in_seg = False
        self._code_depth = 0

    def key(self, lang: str) -> str:
        """How a language is counted: the normalised tag, or its primary subtag."""
        return primary_subtag(lang) if self.primary else normalize_lang(lang)

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "tu":
            self._tu_line = self.parser.CurrentLineNumber
            self._tuid = attrs.get("tuid")
            self._segs = {}
        elif name == "tuv":
            lang = attrs.get("xml:lang") or attrs.get("lang")
            if not lang:
                raise BitextError(
                    "<tuv> has no xml:lang attribute",
                    path=self.path,
                    line=self.parser.CurrentLineNumber,
                )
            self._lang = lang
            self.counts[self.key(lang)] += 1
        elif name == "seg":
            self._in_seg = True
            self._text = []
        elif self._in_seg and name in _CODE_ELEMENTS:
            self._code_depth += 1

    def _end(self, name: str) -> None:
        if name == "seg":
            self._in_seg = False
            self._segs.setdefault(self._lang, "".join(self._text))
        elif self._in_seg and name in _CODE_ELEMENTS:
            self._code_depth -= 1
        elif name == "tu" and self.langs is not None:
            self._finish_tu(self.langs)

    def _chars(self, data: str) -> None:
        if self._in_seg and self._code_depth == 0:
            self._text.append(data)

    def _seg(self, lang: str) -> str | None:
        for tuv_lang, text in self._segs.items():
            if lang_matches(tuv_lang, lang, primary=self.primary):
                return text
        return None

    def _finish_tu(self, langs: tuple[str, str]) -> None:
        src, trg = self._seg(langs[0]), self._seg(langs[1])
        if src is None and trg is None:
            return  # a unit in other languages only (multilingual TMX)
        self.pairs_found += 1
        self.ready.append(
            BitextPair(
                src=src or "",
                trg=trg or "",
                line=self._tu_line,
                src_lang=langs[0],
                trg_lang=langs[1],
                ref=self._tuid,
            )
        )


def _run(handler: _TmxHandler) -> Iterator[None]:
    """Feed the file to the parser chunk by chunk, pausing after each chunk."""
    path = handler.path
    try:
        with open_binary(path) as stream:
            while chunk := stream.read(CHUNK_BYTES):
                handler.parser.Parse(chunk, False)
                yield
            handler.parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise BitextError(
            f"broken XML at column {exc.offset + 1}: {expat.ErrorString(exc.code)}",
            path=path,
            line=exc.lineno,
        ) from None
    except (OSError, EOFError) as exc:
        raise BitextError(f"cannot read the file: {exc}", path=path) from exc
    yield


def tmx_language_counts(path: Path, *, primary: bool = False) -> Counter[str]:
    """Count ``<tuv>`` elements per language (normalised tags, or primary subtags) in one pass."""
    handler = _TmxHandler(path, None, primary)
    for _ in _run(handler):
        pass
    return handler.counts


def _listing(counts: Counter[str]) -> str:
    return ", ".join(f"{lang} ({n})" for lang, n in counts.most_common()) or "none"


def choose_languages(
    path: Path, counts: Counter[str], src: str | None, trg: str | None, primary: bool
) -> tuple[str, str]:
    """Fill in missing languages with the most frequent ones (ties: first seen in the file)."""
    chosen = [src, trg]
    for i, lang in enumerate(chosen):
        if lang is not None:
            continue
        other = chosen[1 - i]
        for candidate, _ in counts.most_common():
            if other is None or not lang_matches(candidate, other, primary=primary):
                chosen[i] = candidate
                break
        else:
            raise BitextError(
                f"needs two languages but found: {_listing(counts)}; set src_lang and trg_lang",
                path=path,
            )
    first, second = chosen
    assert first is not None and second is not None
    if lang_matches(first, second, primary=primary):
        raise BitextError(f"source and target language are both {first!r}", path=path)
    return first, second


def read_tmx(
    path: Path, src_lang: str | None, trg_lang: str | None, *, primary: bool = False
) -> Iterator[BitextPair]:
    """Yield the pairs of a TMX file; each ``<tu>`` gives one pair, at the line of its ``<tu>``.

    Languages not given default to the two most frequent ``<tuv>`` languages, which costs a
    first streaming pass. A ``<tu>`` with only one of the two languages gives a pair with an
    empty side (so validation reports it); one with neither is skipped.
    """
    if src_lang is None or trg_lang is None:
        counts = tmx_language_counts(path, primary=primary)
        src_lang, trg_lang = choose_languages(path, counts, src_lang, trg_lang, primary)
    handler = _TmxHandler(path, (src_lang, trg_lang), primary)
    for _ in _run(handler):
        yield from handler.ready
        handler.ready.clear()
    if handler.pairs_found == 0 and handler.counts:
        raise BitextError(
            f"no <tu> has a {src_lang!r} or {trg_lang!r} variant; "
            f"languages in the file: {_listing(handler.counts)}",
            path=path,
        )
