"""The cross-unmasking head: a fresh transformer stack, then vocabulary logits tied to the encoder.

Used only during training; the exported model is the encoder alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from mexma_search.encoder.training.vocab_loss import linear_cross_entropy

# The paper's head for XLM-R large (24 layers, hidden 1024): 6 layers, 8 heads, FFN 3072.
PAPER_DEPTH_DIVISOR = 4
PAPER_HEADS = 8
PAPER_FFN_MULTIPLIER = 3


@dataclass(frozen=True)
class HeadConfig:
    """Shape of the unmasking head.

    ``norm_first=False`` (post-norm, PyTorch's default) matches XLM-R's own layers, whose
    post-norm outputs the head receives; pre-norm trains more stably for deep stacks, which
    this head is not.
    """

    hidden_size: int
    num_layers: int
    num_heads: int
    ffn_size: int
    dropout: float = 0.1
    norm_first: bool = False

    def __post_init__(self) -> None:
        if self.hidden_size % self.num_heads:
            raise ValueError(
                f"num_heads ({self.num_heads}) must divide hidden_size ({self.hidden_size})"
            )
        if self.num_layers < 1 or self.ffn_size < 1:
            raise ValueError("the head needs at least one layer and a positive FFN size")

    @classmethod
    def for_encoder(cls, model_config: Any, **overrides: Any) -> HeadConfig:
        """The paper's proportions, scaled to the encoder.

        The paper pairs XLM-R large (24 layers, hidden 1024) with a head of 6 layers, 8 heads and
        FFN 3072. Keeping those ratios (a quarter of the encoder's depth, FFN three times the
        hidden size, 8 heads where 8 divides the hidden size, else the encoder's head count) keeps
        the head's share of the compute as in the paper: XLM-R large gets exactly the paper's
        head; multilingual-e5-small (12 layers, hidden 384) gets 3 layers, 8 heads of 48 dims,
        FFN 1152; a 2-layer test model gets 1 layer. Dropout follows the encoder's.
        """
        hidden = int(model_config.hidden_size)
        heads = PAPER_HEADS if hidden % PAPER_HEADS == 0 else int(model_config.num_attention_heads)
        values: dict[str, Any] = {
            "hidden_size": hidden,
            "num_layers": max(1, round(int(model_config.num_hidden_layers) / PAPER_DEPTH_DIVISOR)),
            "num_heads": heads,
            "ffn_size": PAPER_FFN_MULTIPLIER * hidden,
            "dropout": float(getattr(model_config, "hidden_dropout_prob", 0.1)),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


class UnmaskingHead(nn.Module):
    """Transformer stack over a token sequence, then tied vocabulary logits at chosen positions.

    ``word_embeddings`` is the encoder's input embedding: the projection uses that very
    Parameter (registered here too, so ``parameters()`` of a module holding both yields it once)
    and adds a bias of its own.
    """

    def __init__(self, config: HeadConfig, word_embeddings: nn.Embedding) -> None:
        super().__init__()
        if word_embeddings.embedding_dim != config.hidden_size:
            raise ValueError("the embedding size must equal the head's hidden size")
        layer = nn.TransformerEncoderLayer(
            d_model=config.hidden_size,
            nhead=config.num_heads,
            dim_feedforward=config.ffn_size,
            dropout=config.dropout,
            activation="gelu",
            batch_first=True,
            norm_first=config.norm_first,
        )
        self.config = config
        # enable_nested_tensor would drop padded positions in eval mode, changing shapes.
        self.layers = nn.TransformerEncoder(
            layer, num_layers=config.num_layers, enable_nested_tensor=False
        )
        self.vocab_weight = word_embeddings.weight
        self.vocab_bias = nn.Parameter(torch.zeros(word_embeddings.num_embeddings))

    def forward(
        self, states: torch.Tensor, attention_mask: torch.Tensor, labels_mask: torch.Tensor
    ) -> torch.Tensor:
        """Logits ``[n_chosen, vocab]`` for the positions where ``labels_mask`` is true.

        ``states`` is ``[batch, seq, hidden]``; the vocabulary projection runs on the chosen
        positions only, in row-major order (as ``input_ids[labels_mask]``).
        """
        chosen = self.chosen_states(states, attention_mask, labels_mask)
        return F.linear(chosen, self.vocab_weight, self.vocab_bias)

    def loss(
        self,
        states: torch.Tensor,
        attention_mask: torch.Tensor,
        labels_mask: torch.Tensor,
        targets: torch.Tensor,
    ) -> torch.Tensor:
        """Mean cross-entropy of predicting ``targets`` at the chosen positions.

        Equals ``F.cross_entropy(self(states, attention_mask, labels_mask), targets)`` but never
        holds all the logits (see :mod:`mexma_search.encoder.training.vocab_loss`).
        """
        chosen = self.chosen_states(states, attention_mask, labels_mask)
        return linear_cross_entropy(chosen, self.vocab_weight, self.vocab_bias, targets)

    def chosen_states(
        self, states: torch.Tensor, attention_mask: torch.Tensor, labels_mask: torch.Tensor
    ) -> torch.Tensor:
        """The stack's output ``[n_chosen, hidden]`` at the positions where ``labels_mask`` is
        true, in row-major order."""
        hidden = self.layers(states, src_key_padding_mask=~attention_mask.bool())
        return hidden[labels_mask]
