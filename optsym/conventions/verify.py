r"""``optsym verify RULE --convention NAME`` for conventions no installed framework runs: the
generated code of the convention against exact arithmetic of the same equations.

The gradient stream is rational (each element :math:`\pm k/8`, seeded), so float64 and float32
hold its values exactly and the exact run (:func:`optsym.conventions.run.run_exact`, SymPy
numbers) is the true trajectory of the equations.  The generated NumPy and torch modules
(:func:`optsym.codegen.module.generate`, textbook form) run the same stream; each parameter
value must lie within :math:`c\, k\, u` of the exact one, relative to the largest parameter
magnitude of the run (:math:`u` the unit roundoff, :math:`k` the step, :math:`c` =
:data:`ROUNDING_FACTOR`).  A printer that drops a term, or a wrong initial state, misses by far
more than that at the first step where it matters.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from optsym.conventions.compare import exact_number
from optsym.conventions.run import Problem, run_exact
from optsym.conventions.spec import Convention, Family, base_lr
from optsym.report import RunCheck

#: allowed error per step in units of the roundoff, relative to the run's largest |theta|
ROUNDING_FACTOR = 64
ELEMENTS = 3


@dataclass(kw_only=True)
class Check(RunCheck):
    """A convention's generated code in one backend and dtype against its exact trajectory
    (``max_rel``: relative to the run's largest |theta|)."""

    backend: str
    dtype: str
    #: the tolerance at the last step, ROUNDING_FACTOR * u * steps
    tolerance: float


def _stream(steps: int, seed: int) -> tuple[list[sp.Rational], list[list[sp.Rational]]]:
    rng = random.Random(seed)
    starts = [sp.Rational(rng.randint(-8, 8), 8) or sp.Rational(1, 2) for _ in range(ELEMENTS)]
    grads = [[sp.Rational(rng.choice([-1, 1]) * rng.randint(0, 16), 8) for _ in range(steps)]
             for _ in range(ELEMENTS)]
    return starts, grads


def verify_convention(family: Family, conv: Convention, overrides: Mapping[str, Any],
                      steps: int = 20, seed: int = 0, dtypes=("float32", "float64"),
                      backends=("torch", "numpy")) -> list[Check]:
    """The convention's generated code against its exact trajectory."""
    from optsym.codegen.module import generate, load

    family.check_options(overrides)
    rule = family.base_rule()
    flags = {k: v for k, v in overrides.items() if isinstance(v, bool)}
    numbers = {k: exact_number(repr(float(v))) for k, v in overrides.items() if k not in flags}
    cfg = family.cfg({**{k: float(v) for k, v in numbers.items()}, **flags})
    values = {h.symbol: numbers.get(h.name, exact_number(repr(float(cfg[h.name]))))
              for h in rule.hypers if h.symbol is not None}
    lr = values[rule.hyper("lr").symbol]
    values[base_lr] = lr
    starts, grads = _stream(steps, seed)
    exact = np.array([[float(v) for v in run_exact(
        rule, conv, cfg, values, [lr] * steps, Problem("stream", starts[i], tuple(grads[i]))
    ).params] for i in range(ELEMENTS)]).T
    scale = max(float(np.abs(exact).max()), max(abs(float(s)) for s in starts))
    as_rule = conv.as_rule(rule)
    full = {**cfg, **({"base_lr": float(lr)} if conv.extra_hypers else {})}
    checks = []
    for backend in backends:
        module = load(generate(as_rule, full, backend), f"optsym_convention_{backend}")
        for dtype in dtypes:
            ours = _run(module, backend, dtype, starts, grads, steps, as_rule, values)
            u = float(np.finfo(dtype).eps) / 2
            err = np.abs(ours - exact) / scale
            tol = ROUNDING_FACTOR * u * np.arange(1, steps + 1)[:, None]
            bad = np.argwhere(~(err <= tol))
            failure = None
            if len(bad):
                k, i = (int(j) for j in bad[0])
                failure = (f"step {k + 1}, param[{i}]: generated {ours[k, i]!r} vs exact "
                           f"{exact[k, i]!r} (relative {err[k, i]:.2g} > {tol[k, 0]:.2g})")
            checks.append(Check(backend=backend, dtype=dtype, steps=steps,
                                max_rel=float(err.max()), tolerance=float(tol[-1, 0]),
                                worst_ratio=float(np.where(np.isfinite(err), err / tol,
                                                           np.inf).max()),
                                passed=failure is None,
                                criterion=f"relative to max |theta|, within {ROUNDING_FACTOR}"
                                          "*u per step of the exact trajectory",
                                failure=failure))
    return checks


def _run(module, backend: str, dtype: str, starts, grads, steps: int, as_rule,
         values: Mapping[sp.Symbol, sp.Expr]) -> np.ndarray:
    import inspect

    def array(xs):
        a = np.array([float(v) for v in xs], dtype=dtype)
        if backend == "numpy":
            return a
        import torch

        return torch.from_numpy(a)

    params = [array(starts)]
    names = {h.name: h.symbol for h in as_rule.hypers if h.symbol is not None}
    init = inspect.signature(module["init_state"]).parameters
    state = module["init_state"](params, **{n: float(values[names[n]]) for n in init
                                            if n in names})
    allowed = inspect.signature(module["step"]).parameters
    kwargs = {n: float(values[names[n]]) for n in allowed if n in names}
    out = []
    for k in range(steps):
        module["step"](params, [array([grads[i][k] for i in range(ELEMENTS)])], state, **kwargs)
        p = params[0]
        out.append(np.array(p if backend == "numpy" else p.numpy(), dtype=np.float64))
    return np.array(out)
