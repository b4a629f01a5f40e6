"""Multi-process data-parallel training (torchrun): process group set-up and small collectives.

``torchrun --nproc-per-node N ...`` sets ``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``,
``MASTER_ADDR`` and ``MASTER_PORT``; with ``WORLD_SIZE`` > 1 the trainer joins the process
group (NCCL on CUDA, Gloo on CPU), shards the pair stream by rank, and only rank 0 writes
checkpoints and exports.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistributedContext:
    """This process's place in the job; ``world_size == 1`` means a plain single process."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        """Whether several processes train together."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Whether this process writes checkpoints, exports and progress."""
        return self.rank == 0

    @classmethod
    def from_env(cls) -> DistributedContext:
        """Read the torchrun environment variables (absent: a single process)."""
        return cls(
            rank=int(os.environ.get("RANK", "0")),
            world_size=int(os.environ.get("WORLD_SIZE", "1")),
            local_rank=int(os.environ.get("LOCAL_RANK", "0")),
        )

    def device_for(self, device: torch.device) -> torch.device:
        """The device of this rank: its own GPU (``cuda:LOCAL_RANK``) when training on CUDA."""
        if self.enabled and device.type == "cuda":
            return torch.device("cuda", self.local_rank)
        return device

    def setup(self, device: torch.device) -> bool:
        """Join the process group; whether this call joined it (False for a single process
        or when already joined)."""
        if not self.enabled or dist.is_initialized():
            return False
        if device.type == "cuda":
            torch.cuda.set_device(device)
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend, rank=self.rank, world_size=self.world_size)
        return True

    @staticmethod
    def teardown() -> None:
        """Leave the process group. A process that exits without leaving it may abort in the
        backend's destructor ("terminate called without an active exception", seen with gloo)
        and fail the whole torchrun job."""
        if dist.is_initialized():
            dist.destroy_process_group()

    def mean(self, values: Mapping[str, float], device: torch.device) -> dict[str, float]:
        """The mean of each value over all ranks."""
        if not self.enabled or not values:
            return dict(values)
        tensor = torch.tensor(list(values.values()), dtype=torch.float64, device=device)
        dist.all_reduce(tensor)
        return dict(zip(values, (tensor / self.world_size).tolist(), strict=True))

    def any(self, flag: bool, device: torch.device) -> bool:
        """Whether ``flag`` is true on any rank."""
        if not self.enabled:
            return flag
        tensor = torch.tensor([int(flag)], device=device)
        dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
        return bool(tensor.item())

    def barrier(self) -> None:
        """Wait for every rank (no-op for a single process)."""
        if self.enabled:
            dist.barrier()
