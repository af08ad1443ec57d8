r"""Error metrics: absolute, relative and ULP distance.

The ULP distance between two floats of one dtype is the number of representable values between
them: map the bit patterns to integers that increase with the value (negative numbers reflected,
so that -0.0 and +0.0 are both 0) and subtract.  Two NaNs are 0 apart; a NaN and a number are
infinitely far apart.
"""

from __future__ import annotations

import numpy as np

_INT = {np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}
FAR = 2**62


def _ordered(x: np.ndarray) -> np.ndarray:
    bits = x.view(_INT[x.dtype]).astype(np.int64)
    lowest = np.int64(np.iinfo(_INT[x.dtype]).min)
    return np.where(bits < 0, lowest - bits, bits)


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise ULP distance (float64 array; exact below 2**53)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype:
        raise TypeError(f"ULP distance needs one dtype, got {a.dtype} and {b.dtype}")
    oa, ob = _ordered(a), _ordered(b)
    hi, lo = np.maximum(oa, ob).astype(np.uint64), np.minimum(oa, ob).astype(np.uint64)
    dist = (hi - lo).astype(np.float64)  # exact in uint64 (wraps back into range), then float
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    dist = np.where(nan_a & nan_b, 0.0, dist)
    return np.where(nan_a ^ nan_b, float(FAR), dist)


def same_bits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise bit-for-bit equality (so -0.0 differs from +0.0, as bitwise parity means)."""
    return a.view(_INT[a.dtype]) == b.view(_INT[b.dtype])


def abs_error(a: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """|a - ref|: 0 where both are NaN or equal infinities, inf where only one is NaN or the
    infinities differ (never NaN, so maxima and comparisons cannot skip it)."""
    a64, r64 = a.astype(np.float64), ref.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        d = np.abs(a64 - r64)
    d = np.where(a64 == r64, 0.0, d)
    d = np.where(np.isnan(a64) & np.isnan(r64), 0.0, d)
    return np.where(np.isnan(d), np.inf, d)


def rel_error(a: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """|a - ref| / |ref|, with |ref| floored at the dtype's smallest normal number."""
    tiny = np.finfo(ref.dtype).tiny
    err = abs_error(a, ref)
    scale = np.abs(ref.astype(np.float64))
    scale = np.where(np.isfinite(scale), np.maximum(scale, tiny), np.inf)
    with np.errstate(invalid="ignore", over="ignore"):  # a diverged run: inf, reported
        rel = np.where(err == 0, 0.0, err / scale)
    return np.where(np.isnan(rel), np.inf, rel)


def summary(ours: np.ndarray, ref: np.ndarray) -> dict[str, float | int]:
    """The largest absolute, relative and ULP errors of ``ours`` against ``ref`` (the error
    measures of a :class:`~optsym.report.RunCheck`)."""
    return {"max_abs": float(abs_error(ours, ref).max(initial=0.0)),
            "max_rel": float(rel_error(ours, ref).max(initial=0.0)),
            "max_ulp": int(min(ulp_distance(ours, ref).max(initial=0), FAR))}
