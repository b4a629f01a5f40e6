"""The parts of the training child that need no training run: its command line, the error a
failed child leaves on its job, and what the task reads back from an exported model."""

from __future__ import annotations

import sys
from pathlib import Path

from mexma_search.encoder.model import SentenceEncoder
from mexma_search.jobs.train import exported_pooling_and_dimension
from mexma_search.jobs.train_ddp import child_command, failure_message


def test_one_process_runs_the_module_and_several_run_under_torchrun() -> None:
    assert child_command(7, 1) == [sys.executable, "-m", "mexma_search.jobs.train_ddp", "7"]
    several = child_command(7, 2)
    assert several[1:3] == ["-m", "torch.distributed.run"]
    assert "--nproc_per_node=2" in several
    assert several[-3:] == ["-m", "mexma_search.jobs.train_ddp", "7"]


def test_a_failed_child_leaves_its_last_lines_without_server_directories() -> None:
    tail = [
        '  File "/srv/app/.venv/lib/python3.11/site-packages/torch/nn/modules/module.py", line 9',
        "RuntimeError: cannot open /srv/data/training/job-3/checkpoints/last (disk full)",
    ]
    message = failure_message(1, tail)
    assert message.splitlines() == [
        "training stopped with exit status 1",
        '  File "module.py", line 9',
        "RuntimeError: cannot open last (disk full)",
    ]
    assert "/srv" not in message


def test_the_task_reads_pooling_and_dimension_from_the_exported_files(
    tiny_mean_model_dir: Path, tiny_mean_encoder: SentenceEncoder
) -> None:
    assert exported_pooling_and_dimension(tiny_mean_model_dir) == (
        "mean",
        tiny_mean_encoder.dimension,
    )
