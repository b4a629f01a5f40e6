"""Writing-system facts shared by language id, sentence splitting and token estimates."""

from __future__ import annotations

import re

# Scripts written without spaces between words, where one character carries about as much
# information as a short word does elsewhere: CJK ideographs, kana, hangul syllables, Thai.
DENSE_RANGES = (
    "\u0e00-\u0e7f"  # Thai
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    "\uac00-\ud7af"  # hangul syllables
)
DENSE_CHAR = re.compile(f"[{DENSE_RANGES}]")
