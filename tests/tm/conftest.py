"""Fixtures of the translation-memory tests."""

from __future__ import annotations

import pytest
from unit_encoder import UnitEncoder


@pytest.fixture
def unit_encoder() -> UnitEncoder:
    return UnitEncoder()
