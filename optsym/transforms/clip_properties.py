r"""Three properties of clipping by global norm, derived from its textbook form and checked on
torch's own ``clip_grad_norm_`` (float64, random gradient lists):

.. math::

    \operatorname{clip}(g) = s\,g,\ s > 0 \quad\text{(the direction is kept)}, \qquad
    N + \epsilon \le c \Rightarrow \operatorname{clip}(g) = g, \qquad
    \lVert \operatorname{clip}(g) \rVert \le \frac{c N}{N + \epsilon} < c

Each step is a :class:`optsym.derivation.Step` that SymPy confirms (``verified``), each numeric
check a :class:`optsym.derivation.Check`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp

from optsym.derivation import Check, Step
from optsym.listops import Element, Numel, grads, i, j, n
from optsym.proof import compose
from optsym.transforms.clip_norm import TRANSFORM, clip_coef, eps, max_norm, total_norm

EPS = TRANSFORM.constants[eps]


@dataclass(frozen=True)
class Property:
    """A property of a transform: its steps (``verified[k]``: SymPy confirmed step k; None: a
    definition, nothing to check) and the numeric checks on the reference."""

    name: str
    claim: str
    assumptions: tuple[str, ...]
    steps: tuple[Step, ...]
    verified: tuple[bool | None, ...]
    numeric: tuple[Check, ...]

    @property
    def proved(self) -> bool:
        return all(v is not False for v in self.verified)

    @property
    def holds(self) -> bool:
        return self.proved and all(c.passed for c in self.numeric)

    def as_dict(self) -> dict:
        return {"name": self.name, "claim": self.claim, "assumptions": list(self.assumptions),
                "proved": self.proved, "holds": self.holds,
                "steps": [{**s.as_dict(), "verified": v}
                          for s, v in zip(self.steps, self.verified)],
                "numeric": [c.as_dict() for c in self.numeric]}


#: the global norm as a symbol (N >= 0) for the scalar parts
_N = sp.Symbol("N", nonnegative=True)
_ASSUME = ("c > 0", "eps > 0", "N = ||g|| >= 0")
_LIMITS = ((j, 0, Numel(grads, i) - 1), (i, 0, n - 1))


def _coefficient() -> sp.Expr:
    """s = min(1, c / (N + eps)), read off the textbook form (N as a symbol)."""
    return {eq.target: eq.expr for eq in TRANSFORM.textbook({})}[clip_coef].xreplace(
        {total_norm: _N})


def _clipped_list() -> tuple[sp.Expr, sp.Expr, sp.Expr, sp.Expr]:
    """(g_ij, clip(g)_ij, s, ||g||^2) from the composed textbook form (the engine's compose)."""
    book = compose(TRANSFORM.textbook({}))
    g_ij = Element(grads, i, j)
    return g_ij, book[grads](i, j), book[clip_coef], sp.Sum(g_ij**2, *_LIMITS)


def _steps(*rows) -> tuple[tuple[Step, ...], tuple[bool | None, ...]]:
    return (tuple(Step(s, e, why) for s, e, why, _ in rows), tuple(v for *_, v in rows))


def derive_direction(trials: int = 100, seed: int = 0) -> Property:
    """Norm clipping keeps the direction: clip(g) = s g with s > 0, so cos(g, clip(g)) = 1."""
    g_ij, clipped, s, sq = _clipped_list()
    inner = sp.Sum(g_ij * clipped, *_LIMITS)
    clipped_norm = sp.sqrt(sp.Sum(clipped**2, *_LIMITS))
    cosine = inner / (sp.sqrt(sq) * clipped_norm)
    steps, verified = _steps(
        ("clip(g)_ij = s g_ij for every element", sp.Eq(clipped, s * g_ij, evaluate=False),
         "compose the textbook form", sp.simplify(clipped - s * g_ij) == 0),
        ("s = min(1, c/(N + eps)) > 0", sp.StrictGreaterThan(_coefficient(), 0, evaluate=False),
         "c > 0 and N + eps > 0: both arguments of min are > 0",
         bool(_coefficient().is_positive)),
        ("<g, clip(g)> = s ||g||^2", sp.Eq(inner, s * sq, evaluate=False),
         "s does not depend on (i, j)", sp.simplify(inner - s * sq) == 0),
        ("||clip(g)|| = s ||g||", sp.Eq(clipped_norm, s * sp.sqrt(sq), evaluate=False),
         "sqrt(s^2) = s for s > 0", sp.simplify(clipped_norm - s * sp.sqrt(sq)) == 0),
        ("cos(g, clip(g)) = <g, clip(g)> / (||g|| ||clip(g)||) = 1",
         sp.Eq(cosine, 1, evaluate=False), "g != 0", sp.simplify(cosine) == 1))
    return Property("direction", "clipping by norm preserves the direction: clip(g) = s g "
                    "with s > 0", _ASSUME + ("g != 0 (for the cosine)",), steps, verified,
                    _numeric_direction(trials, seed))


def derive_noop(trials: int = 100, seed: int = 0) -> Property:
    """Below the threshold (N + eps <= c) norm clipping leaves the gradients unchanged."""
    g_ij, clipped, s_list, _ = _clipped_list()
    s = _coefficient()
    d = sp.Symbol("d", nonnegative=True)
    ratio = (max_norm / (_N + eps)).xreplace({max_norm: _N + eps + d})  # c = N + eps + d
    excess = sp.simplify(ratio - 1)
    s_below = sp.Min(1, 1 + excess)  # SymPy decides min(1, 1 + x) for x >= 0 itself
    steps, verified = _steps(
        ("write c = N + eps + d with d >= 0", sp.Eq(max_norm, _N + eps + d),
         "the assumption N + eps <= c", None),
        ("c/(N + eps) = 1 + d/(N + eps), and d/(N + eps) >= 0",
         sp.Eq(ratio, 1 + excess, evaluate=False), "d >= 0, N + eps > 0",
         sp.simplify(ratio - 1 - excess) == 0 and bool(excess.is_nonnegative)),
        ("so s = min(1, c/(N + eps)) = 1", sp.Eq(s, s_below, evaluate=False),
         "min(1, 1 + x) = 1 for x >= 0", s_below == 1),
        ("clip(g)_ij = s g_ij = g_ij", sp.Eq(clipped, g_ij, evaluate=False),
         "the textbook form with s = 1", clipped.xreplace({s_list: s_below}) == g_ij))
    return Property("no-op", "if N + eps <= c, clipping by norm is the identity",
                    _ASSUME + ("N + eps <= c",), steps, verified, _numeric_noop(trials, seed))


def derive_norm_bound(trials: int = 100, seed: int = 0) -> Property:
    """After norm clipping the global norm is s N <= c N / (N + eps) < c."""
    _, clipped, s_list, sq = _clipped_list()
    s = _coefficient()
    clipped_norm = sp.sqrt(sp.Sum(clipped**2, *_LIMITS))
    bound = max_norm * _N / (_N + eps)
    margin = sp.simplify(bound - max_norm)
    steps, verified = _steps(
        ("||clip(g)|| = s N", sp.Eq(clipped_norm, s_list * sp.sqrt(sq), evaluate=False),
         "s > 0 (direction), N = sqrt(sum g_ij^2)",
         sp.simplify(clipped_norm - s_list * sp.sqrt(sq)) == 0),
        ("s N <= c N/(N + eps)", sp.LessThan(s * _N, bound, evaluate=False),
         "min(1, x) <= x, and N >= 0 (by definition; nothing to simplify)", None),
        ("c N/(N + eps) - c = -c eps/(N + eps) < 0",
         sp.Eq(bound - max_norm, margin, evaluate=False), "c > 0, eps > 0, N >= 0",
         sp.simplify(bound - max_norm - margin) == 0 and bool(margin.is_negative)))
    return Property("norm bound", "after clipping by norm the global norm is < c "
                    "(<= c N/(N + eps))", _ASSUME, steps, verified, _numeric_bound(trials, seed))


def derivations(trials: int = 100, seed: int = 0) -> list[Property]:
    """The three properties of norm clipping, each with its numeric cross-check."""
    return [derive_direction(trials, seed), derive_noop(trials, seed),
            derive_norm_bound(trials, seed)]


def _random_lists(trials: int, seed: int) -> list[list[np.ndarray]]:
    """Random float64 gradient lists (the verify stream's shapes and magnitudes)."""
    from optsym.verify.stream import make_problem

    return make_problem(trials, seed).grads


def _torch_clip(grads64: list[np.ndarray], c: float) -> list[np.ndarray]:
    """torch.nn.utils.clip_grad_norm_ (the transform's reference) on float64 copies."""
    import torch

    tensors = [torch.from_numpy(np.array(g, dtype=np.float64)) for g in grads64]
    TRANSFORM.run_reference([], tensors, {"max_norm": c})
    return [t.numpy() for t in tensors]


def _flat(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.ravel(a) for a in arrays])


#: float64 tolerance of the numeric checks: far below any effect the claims are about
_TOL64 = 1e-12


def _check(description: str, measured: float, tolerance: float, passed: bool,
           trials: int) -> Check:
    return Check(description, passed, measured, tolerance, f"{trials} random gradient lists")


def _numeric_direction(trials: int, seed: int) -> tuple[Check, ...]:
    rng = np.random.default_rng(seed)
    worst_cos, worst_spread, min_ratio = 0.0, 0.0, math.inf
    for gs in _random_lists(trials, seed):
        g = _flat(gs)
        c = _flat(_torch_clip(gs, float(np.linalg.norm(g)) * 2.0 ** rng.uniform(-4, 2)))
        cosine = float(g @ c) / (float(np.linalg.norm(g)) * float(np.linalg.norm(c)))
        ratio = c[g != 0] / g[g != 0]
        worst_cos = max(worst_cos, abs(1.0 - cosine))
        worst_spread = max(worst_spread, float((ratio.max() - ratio.min()) / ratio.mean()))
        min_ratio = min(min_ratio, float(ratio.min()))
    return (_check("max |1 - cos(g, clip(g))|", worst_cos, _TOL64, worst_cos <= _TOL64, trials),
            _check("max spread (max - min)/mean of clip(g)_k / g_k over nonzero g_k",
                   worst_spread, _TOL64, worst_spread <= _TOL64, trials),
            _check("min of clip(g)_k / g_k (must be > 0)", min_ratio, 0.0, min_ratio > 0.0,
                   trials))


def _numeric_noop(trials: int, seed: int) -> tuple[Check, ...]:
    from optsym.transforms.verify import bound_expressions, bounds
    from optsym.verify.metrics import same_bits

    rng = np.random.default_rng(seed)
    changed, worst = 0, 0.0
    lists = _random_lists(trials, seed)
    exprs = bound_expressions(TRANSFORM, TRANSFORM.config(), len(lists[0]))
    for gs in lists:
        norm = float(np.linalg.norm(_flat(gs)))
        # c >= (N + eps)(1 + 2^-40): far above the few-ulp rounding of N and of c/(N + eps)
        c = (norm + EPS) * (1.0 + 2.0 ** rng.uniform(-40, 2))
        changed += int(not same_bits(_flat(_torch_clip(gs, c)), _flat(gs)).all())
        # at c = fl(N + eps) the exact result is g (s = 1); torch's N and c/(N + eps) round,
        # so its s may fall a few u below 1: within the rounding bound u B of the two forms
        change = np.abs(_flat(_torch_clip(gs, norm + EPS)) - _flat(gs))
        # (the bound on the clipping side of the kink of min(1, .): at the kink itself a
        # first-order bound follows one branch only, and the error here comes from the other)
        side = {"max_norm": (norm + EPS) * (1 - 2.0**-30)}
        bound = 2.0**-53 * _flat(bounds(TRANSFORM, side, [], list(gs), exprs)["grads"])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(change == 0, 0.0, change / bound)
        worst = max(worst, float(ratio.max()))
    return (_check("lists changed by clipping with c >= (N + eps)(1 + 2^-40) (bitwise)",
                   float(changed), 0.0, changed == 0, trials),
            _check("max |clip(g) - g| / (u B) at c = fl(N + eps) (N by NumPy): torch's s may "
                   "fall a few u below 1, within the rounding bound u B of the two forms "
                   "(optsym.verify.bounds)", worst, 1.0, worst <= 1.0, trials))


def _numeric_bound(trials: int, seed: int) -> tuple[Check, ...]:
    rng = np.random.default_rng(seed)
    worst = -math.inf
    for gs in _random_lists(trials, seed):
        norm = float(np.linalg.norm(_flat(gs)))
        c = norm * 2.0 ** rng.uniform(-12, 1)
        worst = max(worst, float(np.linalg.norm(_flat(_torch_clip(gs, c)))) / c - 1.0)
    return (_check("max ||clip(g)||/c - 1 (float64 norm of torch's clipped list)", worst,
                   _TOL64, worst <= _TOL64, trials),)
