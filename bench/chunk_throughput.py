"""Parse and chunk time of one large plain-text file, as the ingest step does it.

A text file of 1, 2 and 10 MB (``--sizes``) is built from the Wikipedia summaries in
``shared/data/corpus`` (en/fr/es taking turns), in one of two shapes:

- ``lines``: one summary sentence a line, no blank lines (one long paragraph of lines);
- ``short``: sentences of two to four words, one paragraph (the worst case of the old
  grouping: many sentences per passage).

Each file is parsed with ``parse_bytes`` and chunked with ``chunk_document`` and the default
model's tokenizer (``TokenizerCounter``, the ingest step's counter), budget ``--max-tokens``,
after a small warm-up file (the language identifier loads once per process).
Prints seconds for parsing and chunking, MB/s, the passages made, and the tokenizer's share
(calls and seconds inside ``TokenizerCounter``: whole texts, or distinct words).

    python bench/chunk_throughput.py [--sizes 1 2 10] [--shape lines|short] [--max-tokens 200]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench.common import (  # noqa: E402
    DEFAULT_DATA_DIR,
    DEFAULT_MODELS_DIR,
    RESULTS_DIR,
    interleaved_summaries,
    machine,
    write_report,
)
from mexma_search.documents import chunk_document, parse_bytes  # noqa: E402
from mexma_search.encoder.token_count import TokenizerCounter  # noqa: E402

MB = 1 << 20
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class TimedCounter(TokenizerCounter):
    """The ingest step's counter, recording its tokenizer calls and the seconds spent in them."""

    def __init__(self, tokenizer: Any) -> None:
        self.calls = 0
        self.seconds = 0.0
        super().__init__(tokenizer)

    def _whole(self, texts: Sequence[str]) -> list[int]:
        return self._timed(super()._whole, texts)

    def _word_counts_of(self, words: list[str]) -> list[int]:
        return self._timed(super()._word_counts_of, words)

    def _timed(self, count: Callable[[Any], list[int]], texts: Sequence[str]) -> list[int]:
        started = time.perf_counter()
        try:
            return count(texts)
        finally:
            self.calls += 1
            self.seconds += time.perf_counter() - started


def corpus_sentences(data_dir: Path) -> list[str]:
    """The summaries' sentences, en/fr/es taking turns."""
    return [
        sentence
        for summary in interleaved_summaries(data_dir)
        for sentence in _SENTENCE_END.split(summary.text)
        if sentence
    ]


def build_text(sentences: list[str], size: int, shape: str, rng: random.Random) -> str:
    """About ``size`` bytes of text in ``shape`` (``lines`` or ``short``)."""
    if shape == "lines":
        separator, pick = "\n", lambda: rng.choice(sentences)
    else:
        words = [word.strip(".,;:!?()\"'") for s in sentences[:5000] for word in s.split()]
        words = [word for word in words if word]
        separator = " "

        def pick() -> str:
            return " ".join(rng.choices(words, k=rng.randint(2, 4))).capitalize() + "."

    parts: list[str] = []
    total = 0
    while total < size:
        part = pick()
        parts.append(part)
        total += len(part.encode()) + 1
    return separator.join(parts)


def measure(text: str, tokenizer: Any, max_tokens: int) -> dict[str, Any]:
    """Parse and chunk ``text`` as a ``.txt`` upload; seconds, passages, tokenizer share.

    The counter is built before the clock starts (the app keeps one per model) and has not
    seen the text's words yet."""
    data = text.encode()
    counter = TimedCounter(tokenizer)
    counter.calls, counter.seconds = 0, 0.0
    started = time.perf_counter()
    parsed = parse_bytes(data, "large.txt")
    parsed_at = time.perf_counter()
    chunks = chunk_document(parsed, max_tokens=max_tokens, count_tokens=counter)
    chunked_at = time.perf_counter()
    return {
        "mb": round(len(data) / MB, 2),
        "parse_s": round(parsed_at - started, 2),
        "chunk_s": round(chunked_at - parsed_at, 2),
        "total_s": round(chunked_at - started, 2),
        "mb_per_s": round(len(data) / MB / (chunked_at - started), 2),
        "passages": len(chunks),
        "tokenizer_calls": counter.calls,
        "tokenizer_s": round(counter.seconds, 2),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 2, 10], help="MB")
    parser.add_argument("--shape", choices=("lines", "short"), default="lines")
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    parser.add_argument("--out-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)

    from transformers import AutoTokenizer

    model_dir = next(path for path in sorted(args.models_dir.iterdir()) if path.is_dir())
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    sentences = corpus_sentences(args.data_dir)
    measure(build_text(sentences, 1000, args.shape, random.Random(1)), tokenizer, args.max_tokens)
    rows = []
    for size in args.sizes:
        text = build_text(sentences, int(size * MB), args.shape, random.Random(0))
        row = measure(text, tokenizer, args.max_tokens)
        print(", ".join(f"{key} {value}" for key, value in row.items()), flush=True)
        rows.append(row)
    report = {"machine": machine(), "shape": args.shape, "max_tokens": args.max_tokens}
    print(write_report({**report, "model": model_dir.name, "rows": rows}, args.out_dir, "chunk"))


if __name__ == "__main__":
    main()
