r"""The shape of a learning-rate schedule specification.

A :class:`Schedule` holds, once, everything optsym knows about a schedule:

* its parameters (:class:`Param`), with defaults, domains and the messages for bad values;
* its **closed form**: the learning rate :math:`\eta_k` as a function of the step index
  :math:`k`, as a list of :class:`Phase` (each a SymPy expression valid on
  :math:`[\text{start}, \text{end})`);
* torch's own computation (:class:`TorchForm`): what ``torch.optim.lr_scheduler`` evaluates at
  each ``scheduler.step()``, in torch's Python-float operation order (:mod:`optsym.pyops`).
  Where torch recurses (``lr = group["lr"] * gamma``) the form reads the previous value
  :data:`LR`; its induction step is proved equal to the closed form.

**Step convention.**  :math:`k` counts the ``scheduler.step()`` calls made so far: :math:`\eta_0`
is the learning rate of the *first* optimizer step (torch sets it in the scheduler's
constructor), :math:`\eta_k` that of optimizer step :math:`k + 1`.  A warmup of :math:`W` steps
means :math:`\eta_k` rises for :math:`k < W` and :math:`\eta_W` is the peak.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import sympy as sp

from optsym.params import Param, ParamSet
from optsym.spec import Assign

#: the step index: the number of ``scheduler.step()`` calls made (0 for the first lr)
k = sp.Symbol("k", integer=True, nonnegative=True)
#: the index of a block of steps (step decay's intervals)
J = sp.Symbol("j", integer=True, nonnegative=True)
#: torch's ``group["lr"]`` before the update: the previous learning rate in a recursion
LR = sp.Symbol("lr", real=True)

Config = Mapping[str, Any]


@dataclass(frozen=True)
class Phase:
    """:math:`\\eta_k` = ``expr`` for ``start <= k < end`` (``end`` may be :math:`\\infty`)."""

    start: sp.Expr
    end: sp.Expr
    expr: sp.Expr
    label: str = ""
    #: where this phase's formula takes over from the last one's, if not at ``start`` (a real
    #: point between steps): continuity is judged there
    joint: sp.Expr | None = None


@dataclass(frozen=True)
class Branch:
    """One case of torch's ``get_lr`` for k >= 1: ``expr`` when ``cond`` holds (first match).

    ``proves`` names the phases on which this case is the recursion's induction step: with
    :data:`LR` = the phase's value at k - 1, ``expr`` must equal its value at k, symbolically.
    """

    cond: sp.Basic
    expr: sp.Expr
    proves: tuple[int, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class TorchForm:
    """torch's computation: the lr at k = 0, then at every k >= 1 the state updates and the lr."""

    initial: sp.Expr
    branches: tuple[Branch, ...]
    #: integer state torch keeps besides the lr (``T_cur``, ``T_i``): initial values, updates
    state_init: tuple[Assign, ...] = ()
    state_step: tuple[Assign, ...] = ()
    #: each state symbol's value as a function of k (what the proof substitutes)
    invariants: Mapping[sp.Symbol, sp.Expr] = field(default_factory=dict)
    #: True when torch computes a closed form each step (no recursion on the previous lr)
    closed: bool = False

    def lr_step(self) -> sp.Expr:
        """The lr at k >= 1 as one expression (the first branch whose condition holds)."""
        return sp.Piecewise(*[(b.expr, b.cond) for b in self.branches])


@dataclass(frozen=True)
class Tail:
    """What the schedule does for ever after its horizon (for the Robbins-Monro conditions).

    ``kind``: ``expr`` (the last phase's expression), ``floor`` (never below ``block`` > 0:
    both sums diverge), ``dominated`` (never above the series ``block`` in k, or with
    ``period``, ``period * block`` in the block index J: where it converges, so does the
    schedule's), ``blocks`` (constant on blocks of
    ``period`` steps, the value on block :data:`J` being ``block``: the sums regroup into
    series in J), ``periodic`` (period ``period``), ``cycles`` (restarts whose cycles never
    shrink), or ``undefined`` (torch stops: ``note``).
    """

    kind: str = "expr"
    period: int | None = None
    note: str = ""
    block: sp.Expr | None = None


@dataclass(frozen=True)
class Schedule(ParamSet):
    r"""A learning-rate schedule written once: closed form, torch's computation, reference."""

    name: str
    title: str
    doc: str
    params: tuple[Param, ...]
    phases: Callable[[Config], tuple[Phase, ...]]
    torch: Callable[[Config], TorchForm]
    #: the torch code a user writes for it (shown in the output; run by the reference)
    reference: Callable[[Config], str]
    #: steps over which the budget and mean are taken (and the default verify length)
    horizon: Callable[[Config], int]
    #: cross-parameter checks: (predicate that is True when the config is bad, message)
    checks: tuple[tuple[Callable[[Config], bool], str], ...] = ()
    tail: Callable[[Config], Tail] = lambda cfg: Tail()
    #: a note on torch's behaviour, shown with the closed form (or a function of the config)
    torch_note: str | Callable[[Config], str] = ""
    #: the closed form as one formula where it is neater than the phases (``floor``, ``Mod``),
    #: or None for configurations without one; the proof checks it against the phases at
    #: every step
    formula: Callable[[Config], sp.Expr] | None = None

    def note(self, cfg: Config) -> str:
        return self.torch_note(cfg) if callable(self.torch_note) else self.torch_note

    def closed_form(self, cfg: Config) -> sp.Expr:
        """:math:`\\eta_k` as one expression (``formula``, or a ``Piecewise`` over the phases)."""
        neat = self.formula(cfg) if self.formula is not None else None
        if neat is not None:
            return neat
        phases = self.phases(cfg)
        if len(phases) == 1:
            return phases[0].expr
        pieces = [(ph.expr, sp.Lt(k, ph.end)) for ph in phases[:-1]]
        return sp.Piecewise(*pieces, (phases[-1].expr, True))

# parameter helpers shared by the schedules (written once)
def positive(x: float) -> bool:
    return x > 0


def nonnegative(x: float) -> bool:
    return x >= 0


def positive_param(name: str, default: float, doc: str) -> Param:
    """A real parameter > 0 with its own symbol."""
    return Param(name, default, doc, symbol=sp.Symbol(name, positive=True), valid=positive,
                 error="{name} must be > 0, got {value}")


def eta_max(default: float = 0.1) -> Param:
    return Param("eta_max", default, "peak (base) learning rate: the optimizer's lr",
                 symbol=sp.Symbol("eta_max", positive=True), valid=positive,
                 error="{name} must be > 0, got {value}")


def eta_min(default: float = 0.0) -> Param:
    return Param("eta_min", default, "lowest learning rate",
                 symbol=sp.Symbol("eta_min", nonnegative=True), valid=nonnegative,
                 error="{name} must be >= 0, got {value}")


#: the most steps optsym computes a schedule over (every step is evaluated, some in 50 digits)
MAX_STEPS = 10_000_000


def steps_param(name: str, default: int, doc: str, minimum: int = 1) -> Param:
    return Param(name, default, doc, "int", sp.Symbol(name, integer=True, positive=minimum > 0,
                                                     nonnegative=True),
                 valid=lambda x: minimum <= x <= MAX_STEPS, error="{name} must be an integer "
                 f"from {minimum} to {MAX_STEPS}, got {{value}}")


def gamma(default: float, doc: str = "multiplicative decay factor") -> Param:
    return positive_param("gamma", default, doc)


def horizon(default: int = 100) -> Param:
    param = steps_param("horizon", default, "steps over which budget and mean are taken")
    return replace(param, symbol=sp.Symbol("H", integer=True, positive=True))


MIN_ETA_CHECK = (lambda c: c["eta_min"] > c["eta_max"],
                 "--eta-min ({eta_min}) must not exceed --eta-max ({eta_max})")
