"""Two-process data-parallel training on CPU (Gloo), as torchrun would start it."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.training.config import TrainingConfig
from mexma_search.encoder.training.loop import train

PAIRS = [(f"The river {n} flows", f"El río {n} atraviesa") for n in range(32)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_rank(rank: int, world_size: int, port: int, model_dir: str, out: str, freeze: bool) -> None:
    os.environ.update(
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(world_size),
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
    )
    torch.set_num_threads(1)
    encoder = SentenceEncoder.load(model_dir, device="cpu")
    config = TrainingConfig(
        output_dir=Path(out) / "run",
        batch_size=4,
        grad_accumulation=2,
        max_steps=2,
        max_length=16,
        learning_rate=1e-3,
        device="cpu",
        freeze_embeddings=freeze,
    )
    result = train(encoder, lambda: PAIRS, config)
    weights = torch.cat([p.detach().flatten() for p in encoder.transformer.parameters()])
    summary = {
        "steps": result.steps,
        "model_dir": None if result.model_dir is None else str(result.model_dir),
        "checksum": float(weights.double().sum()),
        "first": weights[:5].tolist(),
        "embeddings": float(
            encoder.transformer.get_input_embeddings().weight.detach().double().sum()
        ),
    }
    Path(out, f"rank{rank}.json").write_text(json.dumps(summary))
    assert not dist.is_initialized()  # train() left the process group it joined


@pytest.mark.parametrize("freeze", [False, True], ids=["all-weights", "frozen-embeddings"])
def test_two_gloo_processes_stay_in_sync(
    tiny_cls_model_dir: Path, tmp_path: Path, freeze: bool
) -> None:
    # fork: the children inherit the imported modules, which saves most of the start-up time.
    mp.start_processes(
        run_rank,
        args=(2, free_port(), str(tiny_cls_model_dir), str(tmp_path), freeze),
        nprocs=2,
        join=True,
        start_method="fork",
    )
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert [r["steps"] for r in ranks] == [2, 2]
    assert ranks[0]["checksum"] == ranks[1]["checksum"]
    assert ranks[0]["first"] == ranks[1]["first"]
    original = SentenceEncoder.load(tiny_cls_model_dir, device="cpu")
    untrained = torch.cat([p.detach().flatten() for p in original.transformer.parameters()])
    assert ranks[0]["checksum"] != float(untrained.double().sum())
    embeddings = float(original.transformer.get_input_embeddings().weight.detach().double().sum())
    assert (ranks[0]["embeddings"] == embeddings) == freeze
    assert ranks[0]["model_dir"] is not None and ranks[1]["model_dir"] is None
    assert (Path(ranks[0]["model_dir"]) / "model.safetensors").is_file()
    assert (tmp_path / "run" / "checkpoints" / "step-00000002" / "state.json").is_file()
