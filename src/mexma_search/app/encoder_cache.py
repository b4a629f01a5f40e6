"""Where models live: resolving names, listing the models directory, loading encoders."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from mexma_search.app.settings import Settings
from mexma_search.encoder.config import CONFIG_FILE, DEFAULT_MODEL_NAME
from mexma_search.encoder.default_model import PreparedModel, prepare_default_model
from mexma_search.encoder.model import SentenceEncoder

_cache: dict[tuple[str, str, str], SentenceEncoder] = {}
_cache_lock = threading.Lock()


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


def load_encoder(
    name_or_path: str, settings: Settings, *, precision: str = "auto"
) -> SentenceEncoder:
    """Load an encoder once per process and reuse it (workers call this lazily, after fork)."""
    source = resolve_model_source(name_or_path, settings)
    key = (source, settings.device, precision)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = SentenceEncoder.load(
                source,
                device=settings.device,
                precision=precision,
                max_length=settings.max_length,
                cpu_threads=settings.cpu_threads,
            )
        return _cache[key]
