"""Document ingestion: parse files, identify languages, split sentences, build passages.

Pure functions with no database, queue or encoder; the ingest task wires them together::

    doc = parse_document(path)
    chunks = chunk_document(doc, max_tokens=256, count_tokens=tokenizer_count)
"""

from worker.ingest.archive import ZipLimits, read_zip_members
from worker.ingest.chunking import Chunk, chunk_document
from worker.ingest.document import ParsedDocument, Unit
from worker.ingest.errors import IngestError
from worker.ingest.hashing import content_hash
from worker.ingest.langid import detect_language, dominant_language, normalize_language
from worker.ingest.passages import Passage, TokenCounter, approx_token_count, group_passages
from worker.ingest.registry import (
    SUPPORTED_EXTENSIONS,
    parse_bytes,
    parse_document,
)
from worker.ingest.spans import Span
from worker.ingest.split import split_sentences
from worker.ingest.walk import iter_documents

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "Chunk",
    "IngestError",
    "ParsedDocument",
    "Passage",
    "Span",
    "TokenCounter",
    "Unit",
    "ZipLimits",
    "approx_token_count",
    "chunk_document",
    "content_hash",
    "detect_language",
    "dominant_language",
    "group_passages",
    "iter_documents",
    "normalize_language",
    "parse_bytes",
    "parse_document",
    "read_zip_members",
    "split_sentences",
]
