"""The settings class: defaults derived from the data dir, and clear validation errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from mexma_search.app import encoder_cache
from mexma_search.app.settings import Settings
from mexma_search.encoder.default_model import PreparedModel

ROOT = Path(__file__).resolve().parents[2]
HOME_DATA_DIR = Path.home() / ".local" / "share" / "mexma-search"


def test_paths_are_derived_from_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.models_dir == tmp_path / "models"
    assert settings.uploads_dir == tmp_path / "uploads"
    assert settings.database_url == f"sqlite:///{tmp_path / 'mexma.db'}"
    assert settings.qdrant_location == str(tmp_path / "qdrant")


def test_environment_variables_use_the_mexma_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEXMA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MEXMA_DEVICE", "CUDA:1")
    monkeypatch.setenv("MEXMA_ENCODE_BATCH_SIZE", "64")
    monkeypatch.setenv("MEXMA_QDRANT_LOCATION", "http://qdrant:6333")
    settings = Settings()
    assert settings.data_dir == tmp_path
    assert settings.device == "cuda:1"
    assert settings.encode_batch_size == 64


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("device", "gpu", "device must be one of auto, cpu, mps, cuda or cuda:N"),
        ("database_url", "mysql://x/y", "database_url must start with sqlite:// or postgresql://"),
        ("redis_url", "localhost:6379", "redis_url must start with redis://"),
        ("encode_batch_size", 0, "greater than or equal to 1"),
        ("port", 70000, "less than or equal to 65535"),
        ("qdrant_location", "  ", "qdrant_location must be"),
    ],
)
def test_invalid_values_fail_with_a_message_naming_the_field(
    tmp_path: Path, field: str, value: object, message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        Settings(data_dir=tmp_path, **{field: value})
    text = str(info.value)
    assert field in text
    assert message in text


def test_distributed_mode_requires_a_broker(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="MEXMA_REDIS_URL"):
        Settings(data_dir=tmp_path, mode="distributed")
    settings = Settings(data_dir=tmp_path, mode="distributed", redis_url="redis://localhost:6379/0")
    assert settings.redis_url == "redis://localhost:6379/0"


def test_ensure_dirs_creates_the_directories(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    settings.ensure_dirs()
    assert settings.models_dir is not None and settings.models_dir.is_dir()
    assert settings.uploads_dir is not None and settings.uploads_dir.is_dir()


def test_as_environment_gives_a_child_process_the_same_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        admin_password="s3cret",
        job_heartbeat_s=0.5,
        job_stale_after_s=2,
        sentence_vectors="query",
    )
    environment = settings.as_environment()
    assert environment["MEXMA_ADMIN_PASSWORD"] == "s3cret"
    assert "MEXMA_REDIS_URL" not in environment  # unset stays unset
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert Settings(_env_file=None) == settings


def test_the_default_model_setting_names_the_bundled_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path)
    built = tmp_path / "built"

    def prepare(models_dir: Path) -> PreparedModel:
        return PreparedModel(built, built=True, min_cosine=None)

    monkeypatch.setattr(encoder_cache, "prepare_default_model", prepare)
    assert encoder_cache.resolve_model_source(settings.default_model, settings) == str(built)


def test_settings_load_without_torch() -> None:
    code = "import sys, mexma_search.app.settings; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_settings_in_a_test_come_from_the_defaults() -> None:
    settings = Settings()
    assert settings.data_dir == HOME_DATA_DIR
    assert settings.device == "auto"


def test_a_dotenv_file_in_the_working_directory_is_not_read() -> None:
    Path(".env").write_text("MEXMA_DATA_DIR=/from/dotenv\n", encoding="utf-8")
    assert Settings().data_dir == HOME_DATA_DIR


def test_the_developers_variables_and_dotenv_do_not_reach_the_tests(tmp_path: Path) -> None:
    """Run the defaults test in a pytest started from a shell with ``MEXMA_*`` set and a
    ``.env`` in its working directory: both are set before the test session begins."""
    (tmp_path / ".env").write_text(
        "MEXMA_DATA_DIR=/from/dotenv\nMEXMA_DEVICE=cuda:3\n", encoding="utf-8"
    )
    env = {**os.environ, "MEXMA_DATA_DIR": "/from/the/shell", "MEXMA_DEVICE": "cuda:2"}
    test = f"{Path(__file__).resolve()}::test_settings_in_a_test_come_from_the_defaults"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", ROOT]
    result = subprocess.run(
        [*command, test], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
