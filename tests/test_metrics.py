"""ULP distance, checked against numpy.nextafter (an independent definition)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from optsym.verify.metrics import FAR, ulp_distance


@given(st.floats(width=32, allow_nan=False, allow_infinity=False), st.integers(0, 50))
def test_ulp_counts_nextafter_steps_float32(x, n):
    a = np.array([x], dtype=np.float32)
    b = a.copy()
    for _ in range(n):
        b = np.nextafter(b, np.float32(np.inf))
    if np.isinf(b).any():
        return
    assert ulp_distance(a, b)[0] == n
    assert ulp_distance(b, a)[0] == n


@given(st.floats(allow_nan=False, allow_infinity=False), st.integers(0, 50))
def test_ulp_counts_nextafter_steps_float64(x, n):
    a = np.array([x], dtype=np.float64)
    b = a.copy()
    with np.errstate(over="ignore"):  # stepping past the largest float gives inf: skipped below
        for _ in range(n):
            b = np.nextafter(b, -np.inf)
    if np.isinf(b).any():
        return
    assert ulp_distance(a, b)[0] == n


def test_signed_zeros_and_nan():
    z = np.array([0.0, -0.0, np.nan, 1.0], dtype=np.float32)
    w = np.array([-0.0, 0.0, np.nan, np.nan], dtype=np.float32)
    assert list(ulp_distance(z, w)) == [0, 0, 0, FAR]
    tiny = np.array([np.float32(1e-45)])
    assert ulp_distance(tiny, -tiny)[0] == 2
