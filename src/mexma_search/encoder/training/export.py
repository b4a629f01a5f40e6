"""Export a trained encoder alone (the unmasking head is training-only) as a model directory.

The directory loads with :meth:`SentenceEncoder.load`, ``transformers.AutoModel`` and
``sentence_transformers.SentenceTransformer``: Hugging Face weights in safetensors, the
tokenizer, our ``mexma_encoder.json`` and the sentence-transformers module files.
"""

from __future__ import annotations

from pathlib import Path

from mexma_search.encoder.atomic import atomic_directory
from mexma_search.encoder.config import EncoderConfig
from mexma_search.encoder.model import SentenceEncoder


def export_encoder(encoder: SentenceEncoder, directory: str | Path, config: EncoderConfig) -> Path:
    """Write ``encoder``'s transformer and tokenizer with ``config`` to ``directory`` atomically.

    ``config`` should carry the pooling used in training and the model's name, description
    and base. An existing directory is replaced.
    """
    directory = Path(directory)
    exported = SentenceEncoder(
        encoder.transformer, encoder.tokenizer, config, device=encoder.device
    )
    with atomic_directory(directory) as temporary:
        exported.save(temporary)
    return directory
