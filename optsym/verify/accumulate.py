r"""The element-by-element comparison of a run against its reference (``optsym verify``).

An :class:`Accumulator` takes each output's stacked steps (ours and torch's) with the tolerance
of each element (None: bitwise) and keeps the running error maxima, the first failing element
in words, the elements not checkable to first order (an infinite bound) and those outside the
bound's domain, where real arithmetic has no value to bound: torch's value not finite, a NaN
bound (an overflowing intermediate, a square root of a value within rounding of 0), or an
input of the step that is inf or NaN (:func:`not_finite_inputs`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from optsym.verify import metrics


def _locate(name: str, i: int, shape: tuple[int, ...], flat: int) -> str:
    idx = np.unravel_index(flat, shape) if shape else ()
    return f"{name}[{i}]" + (f"[{', '.join(str(int(j)) for j in idx)}]" if shape else "")


class Accumulator:
    """Running maxima of the error metrics and the first failing element."""

    def __init__(self) -> None:
        self.max_abs = 0.0
        self.max_rel = 0.0
        self.max_ulp = 0.0
        self.worst_ratio = 0.0
        self.ill_conditioned = 0
        self.failure: tuple[int, str] | None = None
        self.outside_domain = 0
        self.outside_first: tuple[int, str] | None = None

    def add(self, ours: np.ndarray, ref: np.ndarray, where: tuple[str, int],
            tol: np.ndarray | None, undefined: np.ndarray | None = None) -> None:
        """Compare stacked arrays whose axis 0 is the step (step 1 first).

        ``tol is None``: bitwise equality is required.  Otherwise an element passes when it is
        equal, or when its error is finite and within ``tol``; an element whose bound is not
        finite (an ill-conditioned formula, e.g. a square root of an exact zero) is counted.
        An element that differs where torch's value is not finite, or where ``undefined`` marks
        an input of the step that is not (inf or NaN), is outside the bound's domain: counted,
        not a failure.
        """
        ours = np.asarray(ours)
        if ours.dtype != ref.dtype:
            if self.failure is None:
                self.failure = (1, f"{where[0]}[{where[1]}] is {ours.dtype}, torch's is "
                                   f"{ref.dtype}: the backend changed the dtype")
            ours = ours.astype(ref.dtype)
        ulp = metrics.ulp_distance(ours, ref)
        err = metrics.abs_error(ours, ref)
        self.max_abs = max(self.max_abs, float(err.max(initial=0.0)))
        self.max_rel = max(self.max_rel, float(metrics.rel_error(ours, ref).max(initial=0.0)))
        self.max_ulp = max(self.max_ulp, float(ulp.max(initial=0.0)))
        if tol is None:
            bad = ~metrics.same_bits(ours, ref)
        else:
            equal = err == 0
            bad = ~equal & ~(np.isfinite(err) & (err <= tol))
            outside = bad & (~np.isfinite(ref) | np.isnan(tol))  # NaN: an overflow (bounds)
            if undefined is not None:  # an input of the step not finite (a NaN gradient)
                outside |= bad & undefined
            if outside.any():
                self._outside(ours, ref, where, outside)
                bad &= ~outside
            self.ill_conditioned += int((~equal & np.isinf(tol)).sum())  # NaN: outside
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(equal | ~np.isfinite(tol), 0.0, err / tol)
            self.worst_ratio = max(self.worst_ratio, float(np.nanmax(ratio, initial=0.0)))
        if not bad.any():
            return
        flat = int(np.flatnonzero(bad.ravel())[0])
        k = flat // max(int(np.prod(ref.shape[1:])), 1) + 1
        if self.failure is not None and self.failure[0] <= k:
            return
        name, i = where
        o, r = ours.ravel()[flat], ref.ravel()[flat]
        elem = flat % max(int(np.prod(ref.shape[1:])), 1)
        limit = "" if tol is None else f", bound {np.ravel(tol)[flat]:.3g}"
        if tol is None and ulp.ravel()[flat] == 0:
            limit = ", same value but not the same bits (sign of zero or NaN payload)"
        distance = ulp.ravel()[flat]
        apart = "NaN on one side" if distance >= metrics.FAR else f"{int(distance)} ULP"
        if tol is not None and not np.isfinite(np.ravel(tol)[flat]):
            limit = ", no finite bound: ill-conditioned here"
        self.failure = (k, f"step {k}, {_locate(name, i, ref.shape[1:], elem)}: ours {o!r} vs "
                           f"torch {r!r} ({apart}{limit})")

    def _outside(self, ours: np.ndarray, ref: np.ndarray, where: tuple[str, int],
                 outside: np.ndarray) -> None:
        self.outside_domain += int(outside.sum())
        per = max(int(np.prod(ref.shape[1:])), 1)
        flat = int(np.flatnonzero(outside.ravel())[0])
        k = flat // per + 1
        if self.outside_first is None or k < self.outside_first[0]:
            at = _locate(where[0], where[1], ref.shape[1:], flat % per)
            self.outside_first = (k, f"step {k}, {at}: torch {ref.ravel()[flat]!r}, ours "
                                     f"{ours.ravel()[flat]!r}")

    @property
    def first_failure(self) -> str | None:
        return None if self.failure is None else self.failure[1]


def not_finite_inputs(values: dict[str, Any], shape: tuple[int, ...]) -> np.ndarray:
    """Elements of an output of ``shape`` one of whose elementwise inputs (the gradient, the
    parameter and state before the step) is inf or NaN: real arithmetic has no value there."""
    out = np.zeros(shape, dtype=bool)
    for v in values.values():
        if isinstance(v, np.ndarray) and v.ndim == len(shape):
            try:
                out |= np.broadcast_to(~np.isfinite(v), shape)
            except ValueError:  # another shape (Adafactor's factored rows): not elementwise
                continue
    return out


__all__ = ["Accumulator", "not_finite_inputs"]
