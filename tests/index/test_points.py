"""What the index stores and returns, independent of the engine."""

from __future__ import annotations

import numpy as np
import pytest

from mexma_search.index.points import PASSAGE_VECTOR, passage_cosines


def test_passage_cosines_are_dot_products_with_the_query_in_order() -> None:
    query = [0.6, 0.8, 0.0]
    vectors = [
        {PASSAGE_VECTOR: [1.0, 0.0, 0.0]},
        {},
        {PASSAGE_VECTOR: [0.0, 0.6, 0.8]},
        None,
    ]
    cosines = passage_cosines(vectors, query)
    assert cosines[1] is None and cosines[3] is None
    assert cosines[0] == pytest.approx(0.6)
    assert cosines[2] == pytest.approx(float(np.dot(query, [0.0, 0.6, 0.8])))


def test_points_without_passage_vectors_have_no_cosine() -> None:
    assert passage_cosines([{}, None], [1.0, 0.0]) == [None, None]
    assert passage_cosines([], [1.0, 0.0]) == []
