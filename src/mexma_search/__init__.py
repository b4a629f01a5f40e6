"""MEXMA Search: self-hosted cross-lingual semantic search with MEXMA sentence encoders."""

import os

# Torch's OpenMP threads otherwise spin for a while after each parallel region, burning the
# CPU that the web server's threads, the database and the other encoder calls need (the
# encoder runs many short batches). Set before torch is imported; an explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
