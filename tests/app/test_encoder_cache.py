"""The encoders a process keeps loaded: keyed on everything that changes them, bounded, and
loading one leaves the process's torch settings alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from mexma_search.app.encoder_cache import EncoderCache
from mexma_search.app.runtime import Runtime
from mexma_search.app.settings import Settings
from mexma_search.encoder.model import SentenceEncoder


def test_the_same_model_under_other_settings_is_another_encoder(
    make_settings: Callable[..., Settings], tiny_mean_model_dir: Path
) -> None:
    short = EncoderCache(make_settings(max_length=16)).get(str(tiny_mean_model_dir))
    longer = EncoderCache(make_settings(max_length=32)).get(str(tiny_mean_model_dir))
    assert (short.config.max_length, longer.config.max_length) == (16, 32)


def test_the_cache_keeps_the_most_recently_used_encoders_only(
    make_settings: Callable[..., Settings], tiny_mean_model_dir: Path, tiny_cls_model_dir: Path
) -> None:
    cache = EncoderCache(make_settings(), capacity=1)
    mean = cache.get(str(tiny_mean_model_dir))
    assert cache.get(str(tiny_mean_model_dir)) is mean
    cache.get(str(tiny_cls_model_dir))
    assert len(cache) == 1
    assert cache.get(str(tiny_mean_model_dir)) is not mean  # evicted, loaded again


def test_a_retired_model_is_evicted_by_name(
    make_settings: Callable[..., Settings], tiny_mean_model_dir: Path, tiny_cls_model_dir: Path
) -> None:
    cache = EncoderCache(make_settings())
    cache.get(str(tiny_mean_model_dir))
    cls = cache.get(str(tiny_cls_model_dir))
    assert cache.evict(str(tiny_mean_model_dir)) == 1
    assert len(cache) == 1
    assert cache.get(str(tiny_cls_model_dir)) is cls


def test_loading_a_model_leaves_the_thread_count_alone(tiny_mean_model_dir: Path) -> None:
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(3)
        SentenceEncoder.load(tiny_mean_model_dir)
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)


def test_the_runtime_sets_the_thread_count_it_is_configured_with(
    make_settings: Callable[..., Settings],
) -> None:
    before = torch.get_num_threads()
    try:
        Runtime(make_settings(cpu_threads=2))
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
