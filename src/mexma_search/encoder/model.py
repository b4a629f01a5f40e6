"""Load, hold and save a sentence encoder (a transformer, its tokenizer and its config)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from mexma_search.encoder.config import EncoderConfig, config_from_files
from mexma_search.encoder.device import autocast_dtype, resolve_device
from mexma_search.encoder.encode import (
    DEFAULT_MAX_BATCH_TOKENS,
    BatchTurn,
    EncodeResult,
    encode_texts,
)
from mexma_search.encoder.pooling import pool
from mexma_search.encoder.token_count import TokenizerCounter

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], object]


class SentenceEncoder:
    """A transformer with its tokenizer and pooling config, ready to embed sentences.

    Build one with :meth:`load` from a local directory or a hub id. ``precision="int8"``
    quantises the transformer's Linear layers in place (CPU only; see
    :mod:`~mexma_search.encoder.quantize`).
    """

    def __init__(
        self,
        transformer: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        config: EncoderConfig,
        *,
        device: str | torch.device = "cpu",
        precision: str = "auto",
    ) -> None:
        self.device = resolve_device(device) if isinstance(device, str) else device
        # transformers wraps ``to`` with functools.wraps(Module.to), which types it as unbound
        self.transformer = transformer.to(self.device)  # type: ignore[arg-type]
        if precision == "int8":
            if self.device.type != "cpu":
                raise ValueError(f"int8 runs on CPU only; use bf16 or fp16 on {self.device}")
            # Imported here: PyTorch's quantised ops are deprecated, and fp32 must not need them.
            from mexma_search.encoder.quantize import quantize_int8

            quantize_int8(self.transformer)
        self.tokenizer = tokenizer
        self.config = config
        self.precision = precision
        self.autocast_dtype = autocast_dtype(self.device, precision)

    @cached_property
    def token_counter(self) -> TokenizerCounter:
        """Counts this tokenizer's tokens (passage budgets); one per encoder, kept."""
        return TokenizerCounter(self.tokenizer)

    @classmethod
    def load(
        cls,
        source: str | Path,
        *,
        device: str = "auto",
        precision: str = "auto",
        max_length: int | None = None,
    ) -> SentenceEncoder:
        """Load from a local directory or a hub id (``facebook/MEXMA``).

        The pooling, prefixes and maximum length come from the model's own files; a model
        without any (such as ``facebook/MEXMA``) gets the MEXMA convention: CLS, no prefix.
        ``precision`` is ``auto``, ``fp32``, ``bf16``, ``fp16`` or, on CPU, ``int8``.
        """
        source = str(source)
        tokenizer = AutoTokenizer.from_pretrained(source)
        transformer = _load_transformer(source)
        transformer.eval()
        default_max = _model_max_length(transformer, tokenizer)
        config = config_from_files(
            lambda name: _read_optional_json(source, name), default_max, _display_name(source)
        )
        if max_length is not None:
            config = config.with_updates(max_length=min(max_length, default_max))
        return cls(transformer, tokenizer, config, device=device, precision=precision)

    @property
    def dimension(self) -> int:
        """Length of the sentence vectors."""
        return int(self.transformer.config.hidden_size)

    def save(self, directory: str | Path) -> Path:
        """Write weights (safetensors), tokenizer and config; loads back with :meth:`load`."""
        if self.precision == "int8":
            raise ValueError("an int8 encoder cannot be saved: load the model in fp32 to save it")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.transformer.save_pretrained(directory, safe_serialization=True)
        self.tokenizer.save_pretrained(directory)
        self.config.save(directory, self.dimension)
        return directory

    def sentence_vectors(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> torch.Tensor:
        """Un-normalised sentence vectors for a padded batch (differentiable; for training)."""
        hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask)
        return pool(hidden.last_hidden_state, attention_mask, self.config.pooling)

    def encode(
        self,
        texts: Sequence[str],
        *,
        prompt: str | None = None,
        batch_size: int = 32,
        progress: ProgressCallback | None = None,
        max_batch_tokens: int = DEFAULT_MAX_BATCH_TOKENS,
        turn: BatchTurn | None = None,
    ) -> EncodeResult:
        """Embed ``texts`` (with the ``query`` or ``passage`` prefix, or none), in batches of
        at most ``batch_size`` texts and ``max_batch_tokens`` padded tokens; each batch's
        forward pass runs inside ``turn()`` when given (a process sharing the model decides
        whose batch goes next).

        Returns float32 vectors in input order, L2-normalised if the config says so.
        """
        return encode_texts(
            self,
            texts,
            prompt=prompt,
            batch_size=batch_size,
            progress=progress,
            max_batch_tokens=max_batch_tokens,
            turn=turn,
        )

    def encode_array(self, texts: Sequence[str], **kwargs: Any) -> np.ndarray:
        """Shortcut for ``encode(...).vectors``."""
        return self.encode(texts, **kwargs).vectors

    def count_tokens(self, text: str) -> int:
        """How many tokens the tokenizer makes of ``text``, special tokens and prefix aside."""
        return len(self.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])


def _load_transformer(source: str) -> PreTrainedModel:
    # Encoders such as XLM-R carry a pooler that sentence vectors never use.
    try:
        return AutoModel.from_pretrained(source, add_pooling_layer=False)
    except TypeError:
        return AutoModel.from_pretrained(source)


def _model_max_length(transformer: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> int:
    limits = [int(tokenizer.model_max_length)] if tokenizer.model_max_length < 1e6 else []
    positions = getattr(transformer.config, "max_position_embeddings", None)
    if positions:
        # RoBERTa-style models reserve padding_idx + 1 leading positions.
        offset = (
            getattr(transformer.config, "pad_token_id", -1) + 1
            if "roberta" in str(transformer.config.model_type)
            else 0
        )
        limits.append(int(positions) - offset)
    return min(limits) if limits else 512


def _display_name(source: str) -> str:
    path = Path(source)
    return path.name if path.exists() else source


def _read_optional_json(source: str, filename: str) -> Any | None:
    """A JSON file of a model directory or hub repo, or ``None`` if it has none."""
    local = Path(source)
    if local.is_dir():
        path = local / filename
        return json.loads(path.read_text()) if path.is_file() else None
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    try:
        return json.loads(Path(hf_hub_download(source, filename)).read_text())
    except EntryNotFoundError:
        return None
