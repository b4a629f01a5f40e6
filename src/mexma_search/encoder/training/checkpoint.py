"""Training checkpoints without pickles: tensors in safetensors, everything else in JSON.

A checkpoint is a directory ``step-NNNNNNNN`` holding ``model.safetensors`` (encoder and
head; the tied embedding stored once), ``optimizer.safetensors`` (the optimiser's per-parameter
tensors) and ``state.json`` (optimiser hyper-parameters, grad-scaler state, the trainer's
position and the training config). It is written to a temporary directory and renamed into
place, so a crash never leaves a half-written checkpoint under the final name. Random state
needs no saving: every draw is seeded from (run seed, rank, micro-batch index).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, load_model, save_file, save_model
from torch import nn

from mexma_search.encoder.atomic import atomic_directory

CHECKPOINT_PREFIX = "step-"
MODEL_FILE = "model.safetensors"
OPTIMIZER_FILE = "optimizer.safetensors"
STATE_FILE = "state.json"
FORMAT_VERSION = 1


def checkpoint_name(step: int) -> str:
    """The directory name of the checkpoint after ``step`` optimiser steps."""
    return f"{CHECKPOINT_PREFIX}{step:08d}"


def _flatten_optimizer(state_dict: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict]:
    tensors: dict[str, torch.Tensor] = {}
    per_param: dict[str, dict[str, Any]] = {}
    for index, values in state_dict["state"].items():
        entry: dict[str, Any] = {}
        for name, value in values.items():
            if isinstance(value, torch.Tensor):
                key = f"{index}.{name}"
                tensors[key] = value.detach().cpu().contiguous()
                entry[name] = {"tensor": key}
            else:
                entry[name] = value
        per_param[str(index)] = entry
    groups = [
        {k: list(v) if isinstance(v, tuple) else v for k, v in group.items()}
        for group in state_dict["param_groups"]
    ]
    return tensors, {"state": per_param, "param_groups": groups}


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], meta: dict) -> dict[str, Any]:
    state = {
        int(index): {
            name: tensors[value["tensor"]] if isinstance(value, dict) else value
            for name, value in entry.items()
        }
        for index, entry in meta["state"].items()
    }
    # JSON turned tuples such as AdamW's betas into lists; parameter index lists stay lists.
    groups = [
        {k: tuple(v) if isinstance(v, list) and k != "params" else v for k, v in group.items()}
        for group in meta["param_groups"]
    ]
    return {"state": state, "param_groups": groups}


def save_checkpoint(
    directory: Path,
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    trainer: dict[str, Any],
    config: dict[str, Any],
) -> Path:
    """Write a checkpoint to ``directory`` atomically; returns it."""
    tensors, optimizer_meta = _flatten_optimizer(optimizer.state_dict())
    state = {
        "format": FORMAT_VERSION,
        "trainer": trainer,
        "optimizer": optimizer_meta,
        "scaler": scaler.state_dict(),
        "config": config,
    }
    with atomic_directory(directory) as temporary:
        save_model(model, str(temporary / MODEL_FILE))
        save_file(tensors, str(temporary / OPTIMIZER_FILE))
        (temporary / STATE_FILE).write_text(json.dumps(state, indent=2, default=str) + "\n")
    return directory


def read_checkpoint_state(directory: Path) -> dict[str, Any]:
    """The JSON part of a checkpoint (trainer position, config, ...)."""
    state: dict[str, Any] = json.loads((Path(directory) / STATE_FILE).read_text())
    if state.get("format") != FORMAT_VERSION:
        raise ValueError(f"{directory}: unsupported checkpoint format {state.get('format')!r}")
    return state


def load_checkpoint(
    directory: Path,
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
) -> dict[str, Any]:
    """Restore model, optimiser and scaler in place; returns the checkpoint's JSON state."""
    directory = Path(directory)
    state = read_checkpoint_state(directory)
    device = next(model.parameters()).device
    load_model(model, str(directory / MODEL_FILE), device=str(device))
    tensors = load_file(str(directory / OPTIMIZER_FILE))
    optimizer.load_state_dict(_unflatten_optimizer(tensors, state["optimizer"]))
    if state["scaler"]:
        scaler.load_state_dict(state["scaler"])
    return state


def list_checkpoints(root: Path) -> list[Path]:
    """Complete checkpoints under ``root``, oldest first."""
    if not root.is_dir():
        return []
    found = [
        path
        for path in root.iterdir()
        if path.is_dir() and path.name.startswith(CHECKPOINT_PREFIX) and path.suffix == ""
    ]
    return sorted(found, key=lambda path: path.name)


def prune_checkpoints(root: Path, keep: int) -> None:
    """Delete all but the ``keep`` newest checkpoints under ``root``."""
    checkpoints = list_checkpoints(root)
    for old in checkpoints[: max(0, len(checkpoints) - keep)]:
        shutil.rmtree(old)
