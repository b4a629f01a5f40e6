"""Where models live (resolving names, listing the models directory) and the encoders a
process keeps loaded."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path

from mexma_search.app.settings import Settings
from mexma_search.encoder.config import CONFIG_FILE, DEFAULT_MODEL_NAME
from mexma_search.encoder.default_model import PreparedModel, prepare_default_model
from mexma_search.encoder.model import SentenceEncoder

# the serving model and one more (a version being re-indexed, or a model being evaluated)
MAX_LOADED_ENCODERS = 2


@dataclass(frozen=True)
class ModelInfo:
    """A model found in the models directory."""

    name: str
    display_name: str
    path: str
    pooling: str
    max_length: int
    query_prefix: str
    passage_prefix: str
    is_default: bool

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def prepare_default(settings: Settings) -> PreparedModel:
    """Build the bundled default model into the models directory if it is not there yet."""
    assert settings.models_dir is not None
    return prepare_default_model(settings.models_dir)


def resolve_model_source(name_or_path: str, settings: Settings) -> str:
    """A loadable source for ``name_or_path``: an existing path, a model in the models
    directory (the default one is built on first use), or else a hub id as given."""
    assert settings.models_dir is not None
    as_path = Path(name_or_path).expanduser()
    if as_path.is_dir():
        return str(as_path)
    in_models_dir = settings.models_dir / name_or_path
    if name_or_path == DEFAULT_MODEL_NAME:
        return str(prepare_default(settings).path)
    if in_models_dir.is_dir():
        return str(in_models_dir)
    if as_path.exists():
        raise ValueError(f"{name_or_path} is a file, not a model directory")
    return name_or_path


def list_models(settings: Settings) -> list[ModelInfo]:
    """Models in the models directory (those with our config file), default first."""
    assert settings.models_dir is not None
    if not settings.models_dir.is_dir():
        return []
    infos = []
    for directory in sorted(settings.models_dir.iterdir()):
        config_path = directory / CONFIG_FILE
        if directory.name.startswith(".") or not config_path.is_file():
            continue
        config = json.loads(config_path.read_text())
        infos.append(
            ModelInfo(
                name=directory.name,
                display_name=config.get("name") or directory.name,
                path=str(directory),
                pooling=config.get("pooling", "cls"),
                max_length=int(config.get("max_length", 512)),
                query_prefix=config.get("query_prefix", ""),
                passage_prefix=config.get("passage_prefix", ""),
                is_default=directory.name == settings.default_model,
            )
        )
    return sorted(infos, key=lambda info: (not info.is_default, info.name))


@dataclass(frozen=True)
class EncoderKey:
    """Everything that makes two loaded encoders differ."""

    source: str
    device: str
    precision: str
    max_length: int | None


class EncoderCache:
    """The encoders a process keeps loaded, least recently used first out: at most
    ``capacity``, so that promoting model after model does not keep each one in memory."""

    def __init__(self, settings: Settings, capacity: int = MAX_LOADED_ENCODERS) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.settings = settings
        self.capacity = capacity
        self._lock = threading.Lock()
        self._loaded: OrderedDict[EncoderKey, SentenceEncoder] = OrderedDict()

    def key(self, name_or_path: str, precision: str = "auto") -> EncoderKey:
        """The cache key of ``name_or_path`` under this cache's settings."""
        source = resolve_model_source(name_or_path, self.settings)
        return EncoderKey(source, self.settings.device, precision, self.settings.max_length)

    def get(self, name_or_path: str, precision: str = "auto") -> SentenceEncoder:
        """The encoder of ``name_or_path``, loaded on first use."""
        key = self.key(name_or_path, precision)
        with self._lock:
            encoder = self._loaded.get(key)
            if encoder is None:
                encoder = SentenceEncoder.load(
                    key.source,
                    device=key.device,
                    precision=key.precision,
                    max_length=key.max_length,
                )
                self._loaded[key] = encoder
            self._loaded.move_to_end(key)
            while len(self._loaded) > self.capacity:
                self._loaded.popitem(last=False)
            return encoder

    def evict(self, name_or_path: str) -> int:
        """Drop every loaded encoder of ``name_or_path`` (a retired model); how many."""
        source = resolve_model_source(name_or_path, self.settings)
        with self._lock:
            keys = [key for key in self._loaded if key.source == source]
            for key in keys:
                del self._loaded[key]
            return len(keys)

    def __len__(self) -> int:
        return len(self._loaded)
