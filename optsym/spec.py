r"""The shape of a rule specification.

A :class:`Rule` holds, once, everything optsym knows about an optimizer:

* its hyperparameters (:class:`~optsym.params.Param`, written :func:`Hyper` in the rule files):
  the argument name, the SymPy symbol, default, domain and the reference's own validation
  message;
* its reference (:class:`~optsym.references.Reference`): what it is checked against, how the
  configuration maps onto its arguments, and the optional dependency it needs;
* its per-parameter state (:class:`State`) with initial values;
* its update, as an ordered list of assignments (:class:`Assign`), in two forms:
  the **textbook** form (the paper's equations) and the **implementation** form (torch's CPU
  single-tensor operation order, written with the nodes of :mod:`optsym.ops`);
* the sweep of configurations ``optsym verify`` runs, in the spirit of torch's ``OptimizerInfo``.

Assignments run in order, each may read the values written by the ones before it (like code).
Symbols are either *tensor* symbols (:class:`TensorSymbol`: the parameter, its gradient, the state,
intermediates) or scalars (hyperparameters, the step count :data:`t`, scalar intermediates).
Scalars are Python floats in generated code; tensors are arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from optsym.errors import SpecError, unknown_name_message
from optsym.params import Hyper, Param, find, shown
from optsym.references import Reference, as_reference


class TensorSymbol(sp.Symbol):
    """A symbol that stands for a whole tensor (elementwise arithmetic), not a Python scalar."""


def tensor(name: str, latex: str | None = None) -> TensorSymbol:
    """A real tensor symbol; ``latex`` is its name in formulas (default: ``name``)."""
    sym = TensorSymbol(name, real=True)
    if latex:
        LATEX_NAMES[sym] = latex
    return sym


def scalar(name: str, latex: str | None = None, **assumptions: bool) -> sp.Symbol:
    """A real scalar symbol with SymPy assumptions (``positive=True`` ...)."""
    sym = sp.Symbol(name, real=True, **assumptions)
    if latex:
        LATEX_NAMES[sym] = latex
    return sym


#: LaTeX names of symbols whose code name is not their formula name (``lr`` is :math:`\eta`).
LATEX_NAMES: dict[sp.Symbol, str] = {}

#: the parameter, its gradient, and the step count (t = 1 on the first step)
theta = tensor("param", r"\theta")
g = tensor("grad", "g")
t = scalar("t", "t", positive=True, integer=True)

#: per-tensor numbers read from the parameter: its shape (Adafactor factors only tensors of two
#: or more dimensions, over their last two axes) and its dtype's machine epsilon
ndim = scalar("ndim", r"\operatorname{dim}", integer=True, nonnegative=True)
numel = scalar("numel", "N", integer=True, positive=True)
n_rows = scalar("n_rows", "n", integer=True, positive=True)
n_cols = scalar("n_cols", "m", integer=True, positive=True)
machine_eps = scalar("machine_eps", r"\epsilon_{\mathrm{mach}}", positive=True)

#: each per-tensor number as generated code, by module (computed in the loop over tensors)
PER_TENSOR_CODE: dict[sp.Symbol, dict[str, str]] = {
    ndim: {"torch": "grad.dim()", "numpy": "grad.ndim"},
    numel: {"torch": "param.numel()", "numpy": "param.size"},
    n_rows: dict.fromkeys(("torch", "numpy"), "(grad.shape[-2] if grad.ndim > 1 else 1)"),
    n_cols: dict.fromkeys(("torch", "numpy"), "(grad.shape[-1] if grad.ndim > 1 else 1)"),
    machine_eps: {"torch": "torch.finfo(param.dtype).eps", "numpy": "numpy.finfo(param.dtype).eps"},
}


def per_tensor_values(shape: tuple[int, ...], eps: float) -> dict[str, float]:
    """The numbers of :data:`PER_TENSOR_CODE` for a tensor of ``shape`` (``eps``: its dtype's)."""
    wide = len(shape) > 1
    return {"ndim": len(shape), "numel": math.prod(shape), "machine_eps": eps,
            "n_rows": shape[-2] if wide else 1, "n_cols": shape[-1] if wide else 1}


def is_tensor_expr(expr: sp.Basic) -> bool:
    """True if ``expr`` involves a tensor symbol (so it is computed elementwise on arrays)."""
    return any(isinstance(s, TensorSymbol) for s in expr.free_symbols)


def latex(expr: sp.Basic) -> str:
    """``sympy.latex`` with optsym's symbol names (``lr`` printed as :math:`\\eta`, ...)."""
    return sp.latex(expr, symbol_names=LATEX_NAMES)


Config = Mapping[str, Any]


@dataclass(frozen=True)
class State:
    """Per-parameter state: torch's state-dict key, its symbol and its initial value."""

    name: str
    symbol: sp.Symbol
    init: sp.Expr
    doc: str
    #: the value is >= 0 at every step (used to sample it for numeric proof checks)
    nonnegative: bool = False
    #: one number per parameter, not a tensor: torch keeps it as a 0-d float32 tensor
    #: (``_get_scalar_dtype()``: NAdam's ``mu_product``, ASGD's ``eta`` and ``mu``) and reads it
    #: with ``.item()``.  Its symbol is a scalar symbol; generated code reads it as a Python
    #: float and stores it back as a 0-d float32 array (see :data:`SCALAR_STATE_DTYPE`).
    scalar: bool = False
    #: a NumPy/torch expression of ``p`` (the parameter) with the state's shape; the default is
    #: the parameter's shape (Adafactor's row factor: ``p[..., :1] if p.ndim > 1 else p``)
    shape_of: str = "p"


#: the dtype of a scalar state (torch's ``_get_scalar_dtype()`` under the default dtype)
SCALAR_STATE_DTYPE = "float32"


@dataclass(frozen=True)
class Assign:
    """``target <- expr``; later assignments see the new value of ``target``."""

    target: sp.Symbol
    expr: sp.Expr
    note: str = ""


@dataclass(frozen=True)
class Rule:
    r"""An optimizer written once: hyperparameters, state, textbook and implementation forms."""

    name: str
    title: str
    doc: str
    hypers: tuple[Param, ...]
    states: Callable[[Config], tuple[State, ...]]
    textbook: Callable[[Config], tuple[Assign, ...]]
    implementation: Callable[[Config], tuple[Assign, ...]]
    #: the older spelling of the reference's class name (with ``reference`` a module name)
    torch_class: str = ""
    sweep: tuple[dict[str, Any], ...] = ({},)
    #: cross-option checks: (predicate that is True when the config is bad, message)
    checks: tuple[tuple[Callable[[Config], bool], str], ...] = ()
    #: a note on where torch departs from the paper, shown by ``optsym list``
    torch_note: str = ""
    #: the independent reference (:class:`~optsym.references.Reference`).  The older spelling,
    #: a module name (``"torch.optim"``, ``"pytorch_optimizer"``) with ``torch_class``, is
    #: turned into one.
    reference: Reference | str = "torch.optim"
    #: facts the equivalence proof may assume, in words (shown with the proof)
    proof_assumptions: tuple[str, ...] = field(default_factory=tuple)
    #: the same facts as SymPy predicates where the proof needs them (``Q.lt(etaminus, 1)``),
    #: each guaranteed by torch's constructor checks
    proof_facts: tuple[Any, ...] = ()
    #: the order in which torch's constructor checks the hyperparameters (default: declared)
    check_order: tuple[str, ...] = ()
    #: torch's other execution paths (``foreach``, ``fused``): name -> implementation form
    paths: Mapping[str, Callable[[Config], tuple[Assign, ...]]] = field(default_factory=dict)
    #: path -> (dtypes in which its parity form cannot be bit-exact, why)
    inexact: Mapping[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)
    #: (cfg, dtype) -> why the textbook form cannot be evaluated in that dtype (a constant it
    #: squares underflows, say), or None: outside that domain only the parity form is checked
    textbook_domain: Callable[[Config, str], str | None] | None = None
    #: (cfg, steps) -> why the update leaves real arithmetic within ``steps`` steps (ASGD's
    #: ``1 + lambd*lr*t`` reaching 0 under a negative ``lambd``), or None
    horizon: Callable[[Config, int], str | None] | None = None

    def __post_init__(self) -> None:
        ref = as_reference(self.reference, self.torch_class)
        if not ref.name:
            raise SpecError(f"rule {self.name}: its reference names no class")
        object.__setattr__(self, "reference", ref)
        object.__setattr__(self, "torch_class", ref.name)

    @property
    def params(self) -> tuple[Param, ...]:
        """The hyperparameters (the same :class:`~optsym.params.Param` every spec has)."""
        return self.hypers

    @property
    def reference_class(self) -> str:
        """The reference by its full name (``torch.optim.Adam``, ``pytorch_optimizer.Lion``)."""
        return self.reference.qualified

    @property
    def path_names(self) -> tuple[str, ...]:
        return ("single", *self.paths)

    def implementation_for(self, path: str = "single") -> Callable[[Config], tuple[Assign, ...]]:
        """The implementation form of torch's ``path`` (single-tensor, foreach or fused)."""
        if path == "single":
            return self.implementation
        if path not in self.paths:
            raise SpecError(f"torch has no {path} path for {self.name}; paths: "
                            f"{', '.join(self.path_names)}")
        return self.paths[path]

    def hyper(self, name: str) -> Param:
        return find(self.hypers, name, self.name)

    def defaults(self) -> dict[str, Any]:
        return {h.name: h.default for h in self.hypers}

    def config(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Defaults with ``overrides`` applied, validated as torch validates them."""
        cfg = self.defaults()
        for key, value in (overrides or {}).items():
            cfg[key] = self.hyper(key).coerce(value)  # None stays None where torch has it
        self.validate(cfg)
        return cfg

    def validate(self, cfg: Config) -> None:
        """torch's constructor checks, in torch's order, with torch's messages."""
        for h in [self.hyper(n) for n in self.check_order] or self.hypers:
            h.check(cfg[h.name])
        for bad, message in self.checks:
            if bad(cfg):  # a message may name the options: ``{etaminus}``
                raise SpecError(message.format(**{k: shown(v) for k, v in cfg.items()}))

    def check_horizon(self, cfg: Config, steps: int) -> None:
        """Refuse a run of ``steps`` steps that leaves the update's domain (:attr:`horizon`)."""
        why = None if self.horizon is None else self.horizon(cfg, steps)
        if why is not None:
            raise SpecError(why)

    def scalar_values(self, cfg: Config) -> dict[sp.Symbol, float]:
        """The numeric value of each hyperparameter symbol under ``cfg``."""
        return {h.symbol: float(cfg[h.name]) for h in self.hypers if h.symbol is not None}

    def non_default(self, cfg: Config) -> dict[str, Any]:
        return {k: v for k, v in cfg.items() if self.hyper(k).default != v}


# Validation helpers shared by the specs (torch's checks, written once).
def nonneg(x: float) -> bool:
    """torch's ``not 0.0 <= x`` check (rejects NaN)."""
    return 0.0 <= x


def not_negative(x: float) -> bool:
    """torch's ``x < 0.0`` check, as SGD writes it (lets NaN through, as torch does)."""
    return not x < 0.0


def unit_interval(x: float) -> bool:
    """0 <= x < 1, as torch checks betas."""
    return 0.0 <= x < 1.0


def closed_unit_interval(x: float) -> bool:
    """0 <= x <= 1, as torch checks Adadelta's rho."""
    return 0.0 <= x <= 1.0


def nonpositive(x: float) -> bool:
    """torch's ``not 0.0 >= x`` check (Adafactor's beta2_decay)."""
    return 0.0 >= x


def at_least_one(x: float) -> bool:
    """torch's ``not 1.0 <= x`` check (Adafactor's clipping threshold d)."""
    return 1.0 <= x


#: each check above as the Python condition that is True for an *invalid* value (``{x}`` is the
#: argument's name), so generated code validates its keyword arguments exactly as torch does
CHECK_CODE: dict[Callable[[float], bool], str] = {
    nonneg: "not 0.0 <= {x}",
    not_negative: "{x} < 0.0",
    unit_interval: "not 0.0 <= {x} < 1.0",
    closed_unit_interval: "not 0.0 <= {x} <= 1.0",
    nonpositive: "not 0.0 >= {x}",
    at_least_one: "not 1.0 <= {x}",
}


def hyper_lr(default: float, check: Callable[[float], bool] = nonneg) -> Param:
    return Hyper("lr", scalar("lr", r"\eta", nonnegative=True), default, "learning rate",
                 "lr >= 0", check, "Invalid learning rate: {value}", (1e-3, 0.5))


def hyper_weight_decay(default: float = 0.0, check: Callable[[float], bool] = nonneg) -> Param:
    return Hyper("weight_decay", scalar("weight_decay", r"\lambda", nonnegative=True), default,
                 "weight decay (L2 penalty coefficient)", "weight_decay >= 0", check,
                 "Invalid weight_decay value: {value}", (0.0, 0.5))


def hyper_eps(default: float) -> Param:
    return Hyper("eps", scalar("eps", r"\epsilon", nonnegative=True), default,
                 "term added to the denominator for numerical stability", "eps >= 0", nonneg,
                 "Invalid epsilon value: {value}", (1e-8, 1e-2))


def hyper_maximize() -> Param:
    return Hyper("maximize", None, False, "maximize the objective (ascend the gradient)")


def maximized(cfg: Config, grad: sp.Expr = g) -> sp.Expr:
    """The gradient the rule descends: ``-g`` under ``maximize``."""
    return -grad if cfg["maximize"] else grad
