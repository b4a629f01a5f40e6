"""Bitext input and validation for fine-tuning.

Readers stream pairs from TSV, CSV, JSONL, TMX or two line-aligned text files
(:func:`read_bitext`); :class:`BitextFilter` drops unusable pairs while streaming and fills
a :class:`ValidationReport`; :func:`split_held_out` and :func:`read_splits` give held-out
pairs for evaluation. Nothing here holds a whole file in memory.
"""

from mexma_search.encoder.bitext.core import BitextError, BitextPair, is_language_code, lang_matches
from mexma_search.encoder.bitext.layout import (
    BitextFields,
    BitextLayout,
    bitext_fields,
    bitext_layout,
)
from mexma_search.encoder.bitext.readers import FORMATS, Format, detect_format, read_bitext
from mexma_search.encoder.bitext.splits import (
    FixedSplits,
    HeldOutSplit,
    read_splits,
    select_by_ref,
    split_held_out,
)
from mexma_search.encoder.bitext.tmx import tmx_language_counts
from mexma_search.encoder.bitext.validation import (
    BitextFilter,
    DropReason,
    FilterOptions,
    ValidationReport,
    drop_lines,
    format_report,
    screen_pairs,
    validate_bitext,
)

__all__ = [
    "FORMATS",
    "BitextError",
    "BitextFields",
    "BitextFilter",
    "BitextLayout",
    "BitextPair",
    "DropReason",
    "FilterOptions",
    "FixedSplits",
    "Format",
    "HeldOutSplit",
    "ValidationReport",
    "bitext_fields",
    "bitext_layout",
    "detect_format",
    "drop_lines",
    "format_report",
    "is_language_code",
    "lang_matches",
    "read_bitext",
    "read_splits",
    "screen_pairs",
    "select_by_ref",
    "split_held_out",
    "tmx_language_counts",
    "validate_bitext",
]
