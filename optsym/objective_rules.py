r"""Rules over an objective (GD, minibatch SGD, SAM, Newton): one step as a symbolic map, and its check.

The rules of :mod:`optsym.rules` take a gradient stream; the rules here *compute* their
gradients from a loss written once in SymPy, so their whole step is a map of the parameters:

.. math::

    \theta_{k+1} = S(\theta_k;\ \text{data}_k,\ \text{hyperparameters})

with :math:`S` a SymPy expression per parameter (the base rule's textbook update, composed with
the symbolic gradient).  Worked examples and derivations iterate :math:`S` exactly; the
generated code is :math:`S` printed as NumPy source (``sympy.lambdify``) and evaluated in the
tensor dtype.

**Check** (:func:`check_step_map`): the reference (torch's own training loop with autograd, or a
two-pass SAM loop on a ``torch.nn`` model) runs its trajectory; then, one step at a time from the
*reference's* iterate :math:`\theta_k`, the generated code computes :math:`\theta_{k+1}`, and each
element must lie within

.. math::

    |\text{ours} - \text{reference}| \le 2u\,B(S) + \text{tiny}

where :math:`B(S)` is the first-order rounding bound of the map (:mod:`optsym.verify.bounds`),
counted twice: once for the generated code and once for the reference, whose autograd graph
evaluates the same derivatives in a different order (assumed to round no worse than the
symbolic form; stated in the report).  Not bitwise: the gradient is evaluated by different code
on the two sides.  A wrong formula (no ascent step, a sum instead of a mean) moves the result by
far more.

:data:`OBJECTIVE_RULES` lists the rules by name; :func:`verify_objective_rule` runs one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import sympy as sp

from optsym.params import Param, ParamSet
from optsym.registry import Registry
from optsym.report import RunCheck
from optsym.spec import Config, SpecError, g, theta


@dataclass(frozen=True)
class StepMap:
    """One step of a rule over an objective, as expressions of the current parameters.

    ``params``: the parameter symbols (the objective's variables); ``inputs``: per-step input
    symbols (a minibatch's data), ``hypers``: hyperparameter symbols (rounded once to the dtype);
    ``exprs[j]``: the new value of ``params[j]``.
    """

    params: tuple[sp.Symbol, ...]
    inputs: tuple[sp.Symbol, ...]
    hypers: tuple[sp.Symbol, ...]
    exprs: tuple[sp.Expr, ...]

    def generated(self) -> Callable:
        """The map as generated NumPy code: ``f(*params, *inputs, *hypers) -> tuple``."""
        return sp.lambdify([*self.params, *self.inputs, *self.hypers], list(self.exprs),
                           modules="numpy", cse=True)

    def source(self) -> str:
        """The generated code's source text."""
        import inspect

        return inspect.getsource(self.generated())

    def iterate_exact(self, x0: Sequence, hyper_values: Mapping[sp.Symbol, Any], steps: int,
                      inputs: Sequence[Sequence] | None = None) -> list[tuple[sp.Expr, ...]]:
        """``[x0, x1, ..., x_steps]`` by exact substitution (numbers as exact decimals:
        ``0.001`` is 1/1000); ``inputs[k]``: the per-step inputs of step k + 1.  Rationals stay
        rationals for GD and minibatch SGD on polynomial losses (their digits grow each step);
        SAM's iterates carry square roots."""
        subs = {h: sp.nsimplify(hyper_values[h]) for h in self.hypers}
        exprs = [e.xreplace(subs) for e in self.exprs]
        point = tuple(sp.nsimplify(v) for v in x0)
        out = [point]
        for k in range(steps):
            at = dict(zip(self.params, point))
            if self.inputs:
                at.update(zip(self.inputs, (sp.nsimplify(v) for v in inputs[k])))
            point = tuple(sp.expand(e.xreplace(at)) for e in exprs)
            out.append(point)
        return out


def base_update(rule_name: str, cfg: Config, param: sp.Expr, grad: sp.Expr) -> sp.Expr:
    r"""The base rule's textbook update of one parameter given its gradient, from the rule spec.

    Only a stateless configuration can be composed into a map of the parameters alone (SGD
    without momentum: :math:`\theta - \eta (g + \lambda\theta)`); others are refused.
    """
    from optsym import rules
    from optsym.proof import compose

    rule = rules.get(rule_name)
    if rule.states(cfg):
        raise SpecError(f"the base rule {rule_name} keeps state under this configuration "
                        f"({', '.join(s.name for s in rule.states(cfg))}); a rule over an "
                        "objective takes a stateless base (e.g. sgd without momentum)")
    return compose(rule.textbook(cfg))[theta].xreplace({theta: param, g: grad})


def base_symbols(rule_name: str, cfg: Config) -> dict[sp.Symbol, float]:
    """The base rule's hyperparameter symbols that its update uses, with their values."""
    from optsym import rules

    rule = rules.get(rule_name)
    return {h.symbol: float(cfg[h.name]) for h in rule.hypers if h.symbol is not None}


@dataclass(kw_only=True)
class Check(RunCheck):
    """The one-step check of a step map in one dtype."""

    dtype: str


@dataclass
class ObjectiveReport:
    """What ``optsym verify gd|minibatch-sgd|sam`` reports (shaped like the rules' report)."""

    rule: str
    reference: str
    criterion: str
    setup: dict[str, Any]
    results: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "reference": self.reference, "criterion": self.criterion,
                "setup": self.setup, "passed": self.passed,
                "results": [r.as_dict() for r in self.results]}

    def to_json(self) -> dict[str, Any]:
        """The JSON object ``optsym verify NAME --json`` prints."""
        return self.as_dict()

    def lines(self) -> list[str]:
        """The report as text lines."""
        out = [f"{self.rule}: generated step map vs {self.reference}"]
        out += [f"  {k}: {v}" for k, v in self.setup.items()]
        out.append(f"  criterion: {self.criterion}")
        for r in self.results:
            out.append(f"  {r.dtype:<8} {'PASS' if r.passed else 'FAIL'}  {r.steps} steps, "
                       f"max abs {r.max_abs:.3g}, max rel {r.max_rel:.3g}, max {r.max_ulp} ULP, "
                       f"worst error/bound {r.worst_ratio:.3g}")
            if r.failure:
                out.append(f"           FAIL: first at {r.failure}")
        n_ok = sum(r.passed for r in self.results)
        out.append(f"{self.rule}: {n_ok}/{len(self.results)} checks passed")
        return out


CRITERION = ("one step at a time from the reference's iterate, each element within "
             "2u*B(step map) (first-order rounding bound of the symbolic map, counted once for "
             "the generated code and once for the reference's autograd evaluation)")


def reference_run(loop: Callable[[str], np.ndarray], steps: int, dtype: str
                  ) -> np.ndarray:
    """The reference trajectory ``loop(dtype)``; an overflow (torch's own error or a
    non-finite iterate) is one line for the user, not a traceback."""
    message = (f"the reference trajectory is not finite within {steps} steps in {dtype} (a lr "
               "too large, or an objective undefined along the path); change lr, x0 or steps")
    try:
        ref = loop(dtype)
    except RuntimeError as exc:  # a hyperparameter too large for the dtype
        if "overflow" not in str(exc):
            raise
        raise SpecError(message) from None
    if not np.isfinite(ref).all():
        raise SpecError(message)
    return ref


def check_step_map(step: StepMap, reference: np.ndarray, inputs: np.ndarray,
                   hyper_values: Sequence[float], dtype: str) -> Check:
    """Compare the generated map against a reference trajectory, one step at a time.

    ``reference``: shape (steps + 1, n_params) in ``dtype``; ``inputs``: shape
    (steps, n_inputs) (exact values, e.g. dyadic data), or (steps, 0).
    """
    from optsym.verify import metrics
    from optsym.verify.bounds import evaluate_bound

    np_dtype = np.dtype(dtype)
    steps = reference.shape[0] - 1
    before = reference[:-1]
    fn = step.generated()
    args = ([before[:, j].astype(np_dtype) for j in range(len(step.params))]
            + [inputs[:, j].astype(np_dtype) for j in range(len(step.inputs))]
            + [float(h) for h in hyper_values])
    with np.errstate(all="ignore"):
        ours = np.stack([np.broadcast_to(np.asarray(x, dtype=np_dtype), (steps,))
                         for x in fn(*args)], axis=1)
    ref = reference[1:]
    u, tiny = float(np.finfo(np_dtype).eps) / 2, float(np.finfo(np_dtype).tiny)
    values: dict[str, Any] = {s.name: before[:, j].astype(np.float64)
                              for j, s in enumerate(step.params)}
    values.update({s.name: inputs[:, j].astype(np.float64) for j, s in enumerate(step.inputs)})
    values.update({s.name: float(h) for s, h in zip(step.hypers, hyper_values)})
    bound = np.stack([np.broadcast_to(evaluate_bound(e, set(step.hypers), values, u), (steps,))
                      for e in step.exprs], axis=1)
    tol = 2 * u * bound + tiny
    err = metrics.abs_error(ours, ref)
    bad = ~(err == 0) & ~(np.isfinite(err) & (err <= tol))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(err == 0, 0.0, err / tol)
    failure = None
    if bad.any():
        k, j = (int(i) for i in np.argwhere(bad)[0])
        failure = (f"step {k + 1}, {step.params[j]}: ours {ours[k, j]!r} vs reference "
                   f"{ref[k, j]!r} (bound {tol[k, j]:.3g})")
    return Check(dtype=dtype, steps=steps, **metrics.summary(ours, ref),
                 worst_ratio=float(np.nanmax(ratio, initial=0.0)), passed=not bad.any(),
                 criterion=CRITERION, failure=failure)


@dataclass(frozen=True)
class ObjectiveRule(ParamSet):
    """A rule over an objective: its name, title, reference, parameters and check."""

    name: str
    title: str
    reference: str
    doc: str
    #: its options (:class:`~optsym.params.Param`, as every spec has)
    params: tuple[Param, ...]
    #: ``verify(steps, seed, dtypes, cfg) -> ObjectiveReport``
    verify: Callable[..., ObjectiveReport]
    #: cross-parameter checks: (predicate that is True when the config is bad, message); a
    #: finite value for every real parameter is checked first
    checks: tuple[tuple[Callable[[Config], bool], str], ...] = ()

    def __post_init__(self) -> None:
        finite = tuple((lambda c, n=p.name: not math.isfinite(c[n]),
                        f"option {p.flag} expects a finite number, got {{{p.name}}}")
                       for p in self.params if p.kind == "real")
        object.__setattr__(self, "checks", finite + tuple(self.checks))


def sgd_param(name: str, default: float, doc: str | None = None) -> Param:
    """SGD's own hyperparameter ``name`` (its symbol, domain and torch's message), with this
    rule's default: the base rule's parameters are declared once, by the SGD spec."""
    from optsym import rules

    p = rules.get("sgd").hyper(name)
    return replace(p, default=default, doc=doc or p.doc)


def positive_param(name: str, default: float, doc: str) -> Param:
    """A finite real parameter > 0."""
    return Param(name, default, doc, valid=lambda v: math.isfinite(v) and v > 0,
                 error=f"{name} must be a finite number > 0, got {{value}}",
                 domain=f"{name} > 0")


def count_param(name: str, default: int, doc: str, high: int) -> Param:
    """An integer parameter from 1 to ``high`` (a cap on the work it sizes)."""
    return Param(name, default, doc, "int", valid=lambda v: 1 <= v <= high,
                 error=f"{name} must be between 1 and {high}, got {{value}}",
                 domain=f"1 <= {name} <= {high}")


def point_param(default: str, doc: str) -> Param:
    """The starting point, as text (``-1.5,2``; read by :func:`optsym.objective.parse_point`)."""
    return Param("x0", default, doc, "text")


#: the rules over an objective by name (``optsym verify NAME`` runs one), imported lazily
REGISTRY = Registry("rule over an objective", {
    "gd": ("optsym.full_batch", "GD"),
    "minibatch-sgd": ("optsym.minibatch", "MINIBATCH_SGD"),
    "sam": ("optsym.sam", "SAM"),
    "newton": ("optsym.newton", "NEWTON"),
})


def names() -> list[str]:
    return REGISTRY.names()


def get(name: str) -> ObjectiveRule:
    """The rule over an objective called ``name``; unknown names raise :class:`SpecError`."""
    return REGISTRY.get(name)


def all_rules() -> list[ObjectiveRule]:
    return REGISTRY.all()


def verify_objective_rule(name: str, steps: int = 50, seed: int = 0,
                          dtypes: Sequence[str] = ("float32", "float64"),
                          options: Mapping[str, Any] | None = None) -> ObjectiveReport:
    """Run the check of the rule ``name`` (``gd``, ``minibatch-sgd``, ``sam``, ``newton``).

    ``options`` override the rule's defaults (``optsym list`` shows them; e.g. ``lr``,
    ``rho``, ``batch_size``, ``objective``, ``x0``).  Bad values raise :class:`SpecError`.
    """
    rule = get(name)
    if not 1 <= steps <= 10_000:
        raise SpecError(f"steps must be between 1 and 10000, got {steps}")
    for d in dtypes:
        if d not in ("float32", "float64"):
            raise SpecError(f"unknown dtype {d!r}; choose float32 or float64")
    return rule.verify(steps=steps, seed=seed, dtypes=tuple(dtypes),
                       cfg=rule.config(dict(options or {})))


def list_entries() -> list[dict[str, Any]]:
    """The rules over an objective in the shape of ``optsym list --json``'s entries."""
    return [{"rule": r.name, "title": r.title, "torch": r.reference,
             "options": [{"name": p.name, "default": p.default, "domain": p.domain,
                          "doc": p.doc} for p in r.params],
             "note": "a rule over an objective: its step is a symbolic map; checked one step at "
                     "a time within 2u*B(step map)",
             "impls": {"step map": "within the rounding bound"}} for r in all_rules()]
