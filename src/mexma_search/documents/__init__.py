"""Document ingestion: parse files, identify languages, split sentences, build passages.

Pure functions with no database, queue or encoder; the ingest task wires them together::

    doc = parse_document(path)
    chunks = chunk_document(doc, max_tokens=256, count_tokens=tokenizer_count)
"""

from mexma_search.documents.archive import ZipLimits, read_zip_members
from mexma_search.documents.budget import ByteBudget, OverBudgetError
from mexma_search.documents.chunking import Chunk, chunk_document
from mexma_search.documents.document import ParsedDocument, Unit, embedding_text
from mexma_search.documents.errors import IngestError
from mexma_search.documents.hashing import content_hash
from mexma_search.documents.langid import (
    UNDETERMINED,
    detect_language,
    dominant_language,
    normalize_language,
)
from mexma_search.documents.passages import (
    Passage,
    TokenCounter,
    approx_token_count,
    group_passages,
)
from mexma_search.documents.registry import (
    SUPPORTED_EXTENSIONS,
    parse_bytes,
    parse_document,
)
from mexma_search.documents.spans import Span
from mexma_search.documents.split import split_sentences
from mexma_search.documents.walk import iter_documents

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "UNDETERMINED",
    "ByteBudget",
    "Chunk",
    "IngestError",
    "OverBudgetError",
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
    "embedding_text",
    "group_passages",
    "iter_documents",
    "normalize_language",
    "parse_bytes",
    "parse_document",
    "read_zip_members",
    "split_sentences",
]
