"""Two-process data-parallel training on CPU (Gloo), as torchrun would start it."""

from __future__ import annotations

import faulthandler
import gc
import json
import os
import sys
import time
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel

from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.training.config import TrainingConfig
from mexma_search.encoder.training.distributed import DistributedContext
from mexma_search.encoder.training.loop import train

PAIRS = [(f"The river {n} flows", f"El río {n} atraviesa") for n in range(32)]
# A rank still running after this long prints its stack and exits, so a hang fails the test
# with the place it hangs instead of stalling the suite.
RANK_DEADLINE_S = 150


def watch_teardown() -> list[int]:
    """Record, each time a rank leaves the process group, how many DDP wrappers are alive."""
    counts: list[int] = []
    leave = DistributedContext.teardown

    def counted_teardown() -> None:
        # gc.get_objects() also lists cyclic garbage the collector has not freed yet.
        counts.append(sum(isinstance(o, DistributedDataParallel) for o in gc.get_objects()))
        leave()

    DistributedContext.teardown = staticmethod(counted_teardown)  # type: ignore[method-assign]
    return counts


def run_rank(rank: int, world_size: int, port: int, model_dir: str, out: str, freeze: bool) -> None:
    os.environ.update(
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(world_size),
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        # As under torchrun, the ranks are clients of a store that outlives them (the test's).
        TORCHELASTIC_USE_AGENT_STORE="True",
    )
    faulthandler.dump_traceback_later(RANK_DEADLINE_S, exit=True, file=sys.stderr)
    torch.set_num_threads(1)
    wrappers_at_teardown = watch_teardown()
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
        "wrappers_at_teardown": wrappers_at_teardown,
    }
    Path(out, f"rank{rank}.json").write_text(json.dumps(summary))
    assert not dist.is_initialized()  # train() left the process group it joined


def run_two_ranks(*args: object) -> None:
    """Run ``run_rank`` in two fresh processes; none outlives the call, whatever happens.

    Spawned, not forked: a fork of the test process copies whatever lock one of its threads
    holds at that instant, and a rank blocked on it never joins the process group.
    """
    store = dist.TCPStore("127.0.0.1", 0, world_size=2, is_master=True, wait_for_workers=False)
    context = mp.start_processes(
        run_rank, args=(2, store.port, *args), nprocs=2, join=False, start_method="spawn"
    )
    assert context is not None
    deadline = time.monotonic() + RANK_DEADLINE_S + 30
    try:
        while not context.join(timeout=max(deadline - time.monotonic(), 1)):
            if time.monotonic() > deadline:
                pytest.fail(f"the ranks were still running after {RANK_DEADLINE_S + 30} s")
    finally:
        for process in context.processes:
            if process.is_alive():
                process.kill()
            process.join()


@pytest.mark.parametrize("freeze", [False, True], ids=["all-weights", "frozen-embeddings"])
def test_two_gloo_processes_stay_in_sync(
    tiny_cls_model_dir: Path, tmp_path: Path, freeze: bool
) -> None:
    run_two_ranks(str(tiny_cls_model_dir), str(tmp_path), freeze)
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert [r["steps"] for r in ranks] == [2, 2]
    assert ranks[0]["checksum"] == ranks[1]["checksum"]
    assert ranks[0]["first"] == ranks[1]["first"]
    # The wrapper holds the process group: released before the group, not after.
    assert [r["wrappers_at_teardown"] for r in ranks] == [[0], [0]]
    original = SentenceEncoder.load(tiny_cls_model_dir, device="cpu")
    untrained = torch.cat([p.detach().flatten() for p in original.transformer.parameters()])
    assert ranks[0]["checksum"] != float(untrained.double().sum())
    embeddings = float(original.transformer.get_input_embeddings().weight.detach().double().sum())
    assert (ranks[0]["embeddings"] == embeddings) == freeze
    assert ranks[0]["model_dir"] is not None and ranks[1]["model_dir"] is None
    assert (Path(ranks[0]["model_dir"]) / "model.safetensors").is_file()
    assert (tmp_path / "run" / "checkpoints" / "step-00000002" / "state.json").is_file()
