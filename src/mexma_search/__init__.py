"""MEXMA Search: self-hosted cross-lingual semantic search with MEXMA sentence encoders."""
