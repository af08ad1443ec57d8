r"""A transform's generated code against its reference, on a stream of gradient lists.

Every target runs on copies of the same lists as the reference (torch, CPU), step by step:

* ``torch-parity`` (the reference's operation order) must give the same bits in every element
  of every list it writes and in the value it returns (0 ULP);
* ``torch`` and ``numpy`` (the textbook form) must lie within the first-order rounding bound of
  :mod:`optsym.verify.bounds`, :math:`u\,(B_\text{textbook} + B_\text{torch order})` per element,
  derived from the two forms themselves (each list formula lowered to per-tensor array
  expressions by :func:`optsym.listops.lower`: a sum of squares over a tensor is its squared
  norm).  The parameters are Python floats that both sides round to the tensor dtype once,
  the same way, so they are no leaves of the bound.  A bound of 0 (a selection, such as
  clamping) means bitwise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from optsym.codegen.module import load
from optsym.listops import TensorList, as_element, lower
from optsym.proof import compose
from optsym.spec import Config, SpecError, unknown_name_message
from optsym.transforms.base import Transform
from optsym.transforms.codegen import TARGETS, check_target, generate
from optsym.verify.bounds import evaluate_bound
from optsym.verify.metrics import abs_error, rel_error, same_bits, ulp_distance

_UNIT = {"float32": 2.0 ** -24, "float64": 2.0 ** -53}


def _stream(transform: Transform, cfg: Config, steps: int, seed: int):
    if transform.stream is not None:
        return transform.stream(cfg, steps, seed)
    from optsym.verify.stream import make_problem

    problem = make_problem(steps, seed)
    return [(problem.params, gs) for gs in problem.grads]


def _flat(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64).reshape(1, -1)


def bound_expressions(transform: Transform, cfg: Config, count: int) -> dict[str, list]:
    """Per output, the textbook and torch-order expressions whose bounds add up: for a list,
    one pair per tensor (``count`` of them), as array expressions (:func:`lower`)."""
    forms = [compose(transform.textbook(cfg)), compose(transform.implementation(cfg))]
    out = {}
    for name, sym in transform.outputs(cfg):
        exprs = [as_element(f.get(sym, sym)) for f in forms]
        ks = range(count) if isinstance(sym, TensorList) else [None]
        out[name] = [[lower(e, count, k) for e in exprs] for k in ks]
    return out


def bounds(transform: Transform, cfg: Config, params: list[np.ndarray],
           grads: list[np.ndarray], exprs: dict[str, list] | None = None
           ) -> dict[str, list[np.ndarray] | float]:
    """B_textbook + B_torch order at these lists: per written list, one array per tensor (its
    shape); for the returned value, one number."""
    exprs = exprs or bound_expressions(transform, cfg, len(grads))
    values: dict = {p.name: float(cfg[p.name]) for p in transform.params}
    values.update({str(s): float(v) for s, v in transform.constants.items()})
    for name, arrays in (("grads", grads), ("params", params)):
        values.update({f"{name}_{k}": _flat(a) for k, a in enumerate(arrays)})
    out: dict = {}
    for name, per in exprs.items():
        sums = [sum(evaluate_bound(e, set(), values) for e in pair) for pair in per]
        if name not in ("grads", "params"):
            out[name] = float(np.max(sums[0]))
            continue
        out[name] = [np.broadcast_to(b, (1, a.size)).reshape(a.shape)
                     for b, a in zip(sums, grads if name == "grads" else params)]
    return out


def _run(fn, target: str, params_np, grads_np, cfg: Config, names: list[str]):
    """Run ``fn`` on copies; read the results from the arrays passed in (an implementation
    that replaced list entries instead of updating them fails)."""
    kw = {n: cfg[n] for n in names}
    if target == "numpy":
        p, g = [a.copy() for a in params_np], [a.copy() for a in grads_np]
        returned = fn(list(g), list(p), **kw)
        return {"params": p, "grads": g}, returned
    import torch

    p = [torch.from_numpy(a.copy()) for a in params_np]
    g = [torch.from_numpy(a.copy()) for a in grads_np]
    returned = fn(list(g), list(p), **kw)
    if isinstance(returned, torch.Tensor):
        returned = returned.numpy()
    return {"params": [t.numpy() for t in p], "grads": [t.numpy() for t in g]}, returned


def _reference(transform: Transform, params_np, grads_np, cfg: Config):
    import torch

    p = [torch.from_numpy(a.copy()) for a in params_np]
    g = [torch.from_numpy(a.copy()) for a in grads_np]
    returned = transform.run_reference(p, g, cfg)
    if isinstance(returned, torch.Tensor):
        returned = returned.numpy()
    return {"params": [t.numpy() for t in p], "grads": [t.numpy() for t in g]}, returned


def _plain(value: float) -> float | int:
    return int(value) if math.isfinite(value) and float(value).is_integer() else value


class _Worst:
    def __init__(self) -> None:
        self.max_abs = self.max_rel = self.max_ulp = 0.0
        self.returned_rel = self.returned_ulp = 0.0
        self.failure: str | None = None

    def fail(self, text: str) -> None:
        self.failure = self.failure or text

    def add(self, k: int, where: str, got: np.ndarray, ref: np.ndarray, tol) -> None:
        if got.dtype != ref.dtype or got.shape != ref.shape:
            return self.fail(f"step {k}: {where} is {got.dtype}{list(got.shape)}, the "
                             f"reference's is {ref.dtype}{list(ref.shape)}")
        err = abs_error(got, ref)
        rel, ulp = rel_error(got, ref), ulp_distance(got, ref)
        self.max_abs = max(self.max_abs, float(err.max(initial=0.0)))
        self.max_rel = max(self.max_rel, float(rel.max(initial=0.0)))
        self.max_ulp = max(self.max_ulp, float(ulp.max(initial=0.0)))
        bad = ~same_bits(got, ref) if tol is None else ~((err == 0) | (err <= tol))
        if np.any(bad):
            self.fail(f"step {k}: {where} (shape {list(ref.shape)}): max_rel "
                      f"{float(rel.max(initial=0.0)):.3g}, {float(ulp.max(initial=0.0)):.0f} ULP")


def verify_source(transform: Transform, source: str, target: str, cfg: Config | None = None,
                  dtype: str = "float32", seed: int = 0, steps: int = 50,
                  function: str = "apply") -> dict:
    """Run the generated ``source`` against the reference on the stream; one record."""
    cfg, target = transform.config(cfg), check_target(target)
    if dtype not in _UNIT:
        raise SpecError(unknown_name_message("dtype", dtype, list(_UNIT)))
    fn = load(source, f"optsym_{transform.name.replace('-', '_')}_check")[function]
    names, bitwise = [p.name for p in transform.params], target == "torch-parity"
    worst, unchanged, changed, bound_zero = _Worst(), 0, 0, True
    u, exprs = _UNIT[dtype], None
    for k, (params64, grads64) in enumerate(_stream(transform, cfg, steps, seed), start=1):
        params_np = [np.asarray(a, dtype=dtype) for a in params64]
        grads_np = [np.asarray(a, dtype=dtype) for a in grads64]
        ref, ref_value = _reference(transform, params_np, grads_np, cfg)
        same = all(same_bits(r, a).all() for r, a in zip(ref["grads"] + ref["params"],
                                                      grads_np + params_np))
        unchanged, changed = unchanged + same, changed + (not same)
        if not bitwise and exprs is None:
            exprs = bound_expressions(transform, cfg, len(grads_np))
        tols = None if bitwise else bounds(transform, cfg, params_np, grads_np, exprs)
        try:
            got, value = _run(fn, target, params_np, grads_np, cfg, names)
        except Exception as exc:  # noqa: BLE001 - a generated module failing is a result
            worst.fail(f"step {k}: {function} raised {type(exc).__name__}: {exc}")
            continue
        for name in ("grads", "params"):
            for t, (a, r) in enumerate(zip(got[name], ref[name])):
                tol = None
                if tols is not None:
                    b = tols.get(name)
                    tol = 0.0 if b is None else u * b[t]
                    bound_zero = bound_zero and not np.any(tol)
                worst.add(k, f"{name}[{t}]", np.asarray(a), r, tol)
        if transform.returns is not None:
            got_v, ref_v = np.asarray(value), np.asarray(ref_value)
            tol = None if tols is None else u * tols[str(transform.returns)]
            before = worst.failure
            worst.add(k, f"returned {transform.returns}", got_v, ref_v, tol)
            if got_v.dtype == ref_v.dtype and got_v.shape == ref_v.shape:
                worst.returned_rel = max(worst.returned_rel, float(rel_error(got_v, ref_v)))
                worst.returned_ulp = max(worst.returned_ulp, float(ulp_distance(got_v, ref_v)))
            del before
    if bitwise:
        criterion = "bitwise: the reference's bits in every element" + (
            f" and the returned {transform.returns}" if transform.returns is not None else "") \
            + " (0 ULP)"
    elif bound_zero:
        criterion = "bitwise (0 ULP): the rounding bound is 0 (a selection rounds nothing)"
    else:
        criterion = ("first-order rounding bound u*(B_textbook + B_torch) per element "
                     "(optsym.verify.bounds, from the two forms)")
    record = {"target": target, "dtype": dtype, **cfg,
              "max_abs": _plain(worst.max_abs), "max_rel": _plain(worst.max_rel),
              "max_ulp": _plain(worst.max_ulp)}
    if transform.returns is not None:
        record.update({"returned_max_rel": _plain(worst.returned_rel),
                       "returned_max_ulp": _plain(worst.returned_ulp)})
    record.update({"unchanged_steps": unchanged, "changed_steps": changed,
                   "passed": worst.failure is None, "criterion": criterion,
                   "failure": worst.failure})
    return record


def verify(transform: Transform, cfg: Config | None = None,
           dtypes: Sequence[str] = ("float32", "float64"), seed: int = 0, steps: int = 50,
           targets: Sequence[str] = TARGETS) -> dict:
    """Generated code of every target against the reference; ``{"transform", "config", "seed",
    "steps", "reference", "results": {target: {dtype: record}}, "passed"}``.  A record has
    ``max_abs``, ``max_rel``, ``max_ulp`` over the written lists (``returned_max_rel`` /
    ``_ulp`` for the returned value), ``unchanged_steps`` / ``changed_steps`` (steps the
    reference left unchanged / changed), ``passed``, ``criterion`` and ``failure``."""
    cfg = transform.config(cfg)
    for target in targets:
        check_target(target)
    results = {target: {dt: verify_source(transform, generate(transform, target, cfg), target,
                                          cfg, dt, seed, steps) for dt in dtypes}
               for target in targets}
    return {"transform": transform.name, "config": dict(cfg), "seed": seed, "steps": steps,
            "reference": f"{transform.reference} on CPU tensors", "results": results,
            "passed": all(r["passed"] for per in results.values() for r in per.values())}
