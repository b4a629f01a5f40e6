"""Build the ``exact`` retrieval set: short keyword queries for names, numbers and codes.

Its corpus is the ``wiki`` set's (``corpus`` links to ``../wiki/corpus``). A query is a term
found in one document only (a number, a code holding a digit, or a capitalised name of five
letters or more) with the word before it, as people type them ("ISO 9001", "Kubrick 1968");
its answer is that document. Documents take turns by language; sampling is seeded. Queries
alternate between the groups ``exact-dev`` and ``exact-test``, so fusion settings can be
tuned on one half and reported on the other.

    python bench/build_exact_term_set.py [--sets-dir bench/retrieval_sets] [--queries 240]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SEED = 15
_WORD = re.compile(r"[\w][\w.\-/]*\w|\w")
_TERM = re.compile(r"(?=\w*\d)[\w.\-/]{3,}|[A-ZÀ-Ý][a-zà-ÿ]{4,}")


def document_words(path: Path) -> list[str]:
    """The words of a document's text (after its title line)."""
    body = path.read_text(encoding="utf-8").partition("\n\n")[2]
    return _WORD.findall(body)


def exact_queries(corpus: Path, count: int) -> list[dict[str, str]]:
    """``count`` queries: a term of one document only, with the word before it."""
    words = {path.name: document_words(path) for path in sorted(corpus.iterdir())}
    spread = Counter(word.lower() for each in words.values() for word in set(each))
    rng = random.Random(SEED)
    names = sorted(words)
    rng.shuffle(names)
    names.sort(key=lambda name: name[:2])  # en, es, fr in turns below
    by_language: dict[str, list[str]] = {}
    for name in names:
        by_language.setdefault(name[:2], []).append(name)
    queries: list[dict[str, str]] = []
    for turn in range(max(map(len, by_language.values()))):
        for lang, documents in sorted(by_language.items()):
            if turn >= len(documents) or len(queries) >= count:
                continue
            name = documents[turn]
            found = words[name]
            rare = [
                index
                for index in range(1, len(found))
                if _TERM.fullmatch(found[index]) and spread[found[index].lower()] == 1
            ]
            if not rare:
                continue
            index = rng.choice(rare)
            group = "exact-dev" if len(queries) % 2 == 0 else "exact-test"
            query = f"{found[index - 1]} {found[index]}"
            queries.append({"query": query, "document": name, "lang": lang, "group": group})
    return queries


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets-dir", type=Path, default=REPO_ROOT / "bench" / "retrieval_sets")
    parser.add_argument("--queries", type=int, default=240)
    args = parser.parse_args(argv)
    directory = args.sets_dir / "exact"
    directory.mkdir(parents=True, exist_ok=True)
    corpus = directory / "corpus"
    if not corpus.is_symlink():
        corpus.symlink_to(Path("..") / "wiki" / "corpus")
    queries = exact_queries(args.sets_dir / "wiki" / "corpus", args.queries)
    lines = [json.dumps(query, ensure_ascii=False) for query in queries]
    (directory / "queries.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{directory}: {len(queries)} queries over the wiki corpus")


if __name__ == "__main__":
    main()
