"""The vector index: one facade over interchangeable Qdrant backends."""

from mexma_search.index.vector_index import VectorIndex

__all__ = ["VectorIndex"]
