"""Build the retrieval dev sets from the shared data (see shared/data/README.md).

Each set is a directory with ``corpus/`` (one text file per document: a title line, a blank
line, the text) and ``queries.jsonl`` (the format of ``mexma-search evaluate-retrieval``,
with ``lang`` and a ``group`` such as ``en->fr``):

- ``wiki``: Wikipedia lead summaries of articles present in en, fr and es
  (``wiki-crosslingual-titles.tsv``). Each document is one article in one language, without
  its first sentence; a query is the first sentence of the article in some language, and its
  answer the article's document in the same language (groups ``en->en`` ...) or in another
  (``en->fr`` ...). Every article gets one same-language and one cross-language query, the
  languages taking turns.
- ``bible``: Spanish Bible chapters (Reina-Valera 1909), each one document titled with the
  book's Spanish name and the chapter number; a query is a verse of the dev or test split of
  ``bible-en-es.splits.json`` in English (``en->es``) or in Spanish (``es->es``), its answer
  the chapter.

    python bench/build_retrieval_sets.py [--data-dir DIR] [--out bench/retrieval_sets]
    python bench/build_retrieval_sets.py --tiny --out tests/data/retrieval

``--tiny`` writes one small set (a few articles) for the tests. Sampling is seeded.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import shutil
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "src"))

from mexma_search.documents.split import split_sentences  # noqa: E402

DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
LANGUAGES = ("en", "fr", "es")
SEED = 14
SPANISH_BOOKS = {
    "Gen": "Génesis", "Exod": "Éxodo", "Deut": "Deuteronomio", "Josh": "Josué",
    "Judg": "Jueces", "Ruth": "Rut", "1Sam": "1 Samuel", "1Kgs": "1 Reyes", "Job": "Job",
    "Ps": "Salmos", "Prov": "Proverbios", "Eccl": "Eclesiastés", "Isa": "Isaías",
    "Jer": "Jeremías", "Ezek": "Ezequiel", "Dan": "Daniel", "Jonah": "Jonás",
    "Matt": "Mateo", "Mark": "Marcos", "Luke": "Lucas", "John": "Juan", "Acts": "Hechos",
    "Rom": "Romanos", "1Cor": "1 Corintios", "Gal": "Gálatas", "Heb": "Hebreos",
    "Jas": "Santiago", "1Pet": "1 Pedro", "1John": "1 Juan", "Rev": "Apocalipsis",
}  # fmt: skip


@dataclass(frozen=True)
class Query:
    query: str
    document: str
    lang: str
    group: str

    def to_json(self) -> str:
        record = {"query": self.query, "document": self.document}
        record |= {"lang": self.lang, "group": self.group}
        return json.dumps(record, ensure_ascii=False)


def file_name(title: str, lang: str) -> str:
    """A safe, unique-per-language file name for a document."""
    slug = re.sub(r"[^\w]+", "_", title, flags=re.UNICODE).strip("_")[:60]
    return f"{lang}_{slug}.txt"


def write_set(directory: Path, documents: dict[str, str], queries: Sequence[Query]) -> None:
    """Write ``documents`` (file name -> content) and ``queries`` into ``directory``."""
    if directory.exists():
        shutil.rmtree(directory)
    corpus = directory / "corpus"
    corpus.mkdir(parents=True)
    for name, content in documents.items():
        (corpus / name).write_text(content, encoding="utf-8")
    lines = [query.to_json() for query in queries]
    (directory / "queries.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    size = sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())
    print(f"{directory}: {len(documents)} documents, {len(queries)} queries, {size / 1e6:.2f} MB")


def _read_summaries(data_dir: Path) -> dict[str, dict[str, str]]:
    summaries: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        path = data_dir / "corpus" / f"wiki-summaries-{lang}.jsonl"
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                summaries[record["id"]] = record
    return summaries


def _first_sentence_and_rest(text: str, lang: str) -> tuple[str, str] | None:
    sentences = split_sentences(text, lang)
    if len(sentences) < 2:
        return None
    first = sentences[0].of(text)
    rest = text[sentences[1].start :].strip()
    if len(first) < 30 or len(rest) < 80:
        return None
    return first, rest


def wiki_set(data_dir: Path, articles: int) -> tuple[dict[str, str], list[Query]]:
    """The ``wiki`` set over ``articles`` articles sampled from the en/fr/es triples."""
    summaries = _read_summaries(data_dir)
    with (data_dir / "corpus" / "wiki-crosslingual-titles.tsv").open(encoding="utf-8") as f:
        triples = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    random.Random(SEED).shuffle(triples)
    documents: dict[str, str] = {}
    queries: list[Query] = []
    directions = [(a, b) for a in LANGUAGES for b in LANGUAGES if a != b]
    for triple in triples:
        if len(queries) >= 2 * articles:
            break
        parts = {}
        for doc_id in triple:
            record = summaries[doc_id]
            split = _first_sentence_and_rest(record["text"], record["lang"])
            if split is None:
                break
            parts[record["lang"]] = (record["title"], *split)
        if len(parts) != len(LANGUAGES):
            continue
        names = {lang: file_name(title, lang) for lang, (title, _, _) in parts.items()}
        for lang, (title, _, rest) in parts.items():
            documents[names[lang]] = f"{title}\n\n{rest}\n"
        turn = len(queries) // 2
        same = LANGUAGES[turn % len(LANGUAGES)]
        source, target = directions[turn % len(directions)]
        queries.append(Query(parts[same][1], names[same], same, f"{same}->{same}"))
        queries.append(Query(parts[source][1], names[target], source, f"{source}->{target}"))
    return documents, queries


def bible_set(
    data_dir: Path, chapters: int, per_language: int
) -> tuple[dict[str, str], list[Query]]:
    """The ``bible`` set: ``chapters`` Spanish chapters and ``per_language`` verse queries in
    English and in Spanish, from the test split."""
    with (data_dir / "bitext" / "bible-en-es.tsv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    splits = json.loads((data_dir / "bitext" / "bible-en-es.splits.json").read_text())
    test = set(splits["test"]) | set(splits["dev"])
    verses: dict[tuple[str, str], list[tuple[str, str, str]]] = defaultdict(list)
    for ref, en, es in rows:
        book, chapter, _ = ref.split(".")
        if book in SPANISH_BOOKS:
            verses[(book, chapter)].append((ref, en, es))
    candidates = sorted(key for key, rows_ in verses.items() if any(r[0] in test for r in rows_))
    chosen = random.Random(SEED).sample(candidates, chapters)
    documents: dict[str, str] = {}
    pool: list[tuple[str, str, str]] = []
    for book, chapter in chosen:
        title = f"{SPANISH_BOOKS[book]} {chapter}"
        name = file_name(title, "es")
        body = " ".join(es for _, _, es in verses[(book, chapter)])
        documents[name] = f"{title}\n\n{body}\n"
        pool.extend((name, en, es) for ref, en, es in verses[(book, chapter)] if ref in test)
    picked = random.Random(SEED + 1).sample(pool, min(per_language, len(pool)))
    queries = [Query(en, name, "en", "en->es") for name, en, _ in picked]
    queries += [Query(es, name, "es", "es->es") for name, _, es in picked]
    return documents, queries


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "retrieval_sets")
    parser.add_argument("--tiny", action="store_true", help="one tiny set for the tests")
    args = parser.parse_args(argv)
    if args.tiny:
        write_set(args.out, *wiki_set(args.data_dir, articles=4))
        return
    write_set(args.out / "wiki", *wiki_set(args.data_dir, articles=300))
    write_set(args.out / "bible", *bible_set(args.data_dir, chapters=60, per_language=200))


if __name__ == "__main__":
    main()
