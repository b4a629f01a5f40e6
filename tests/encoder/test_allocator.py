"""retained_heap: glibc's allocator settings are changed inside the block and restored after."""

from __future__ import annotations

import platform

import pytest
import torch

from encoder.allocator import retained_heap


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the setting is glibc's")
def test_applies_on_glibc_and_large_tensors_still_work() -> None:
    with retained_heap() as applied:
        big = torch.ones(8 * 2**20)  # 32 MiB: above any mmap threshold
        assert applied
        assert float(big.sum()) == big.numel()
        del big
    after = torch.ones(8 * 2**20)
    assert float(after.sum()) == after.numel()
