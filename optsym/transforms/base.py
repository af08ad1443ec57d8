r"""The transform spec: a step over the whole list of gradients (and parameters), chained
before a rule as optax chains its gradient transformations.

A :class:`Transform` holds, once, its parameters (:class:`optsym.params.Param`), its update in
the textbook form and in the reference's operation order (lists of :class:`optsym.spec.Assign`
over the lists :data:`~optsym.listops.grads` and :data:`~optsym.listops.params`, written with
the nodes of :mod:`optsym.listops`), and its reference (a torch function, by name and as a
callable).  Everything else is generated from it by the one engine: the proof that the two forms
agree (:mod:`optsym.transforms.prove`), the module (:mod:`optsym.transforms.codegen`) and the
check against the reference (:mod:`optsym.transforms.verify`).

A transform of your own is one small file (``optsym verify --spec my_transforms.py``)::

    import sympy as sp
    from optsym.listops import ForeachMul, each, grads
    from optsym.params import Param
    from optsym.spec import Assign, scalar
    from optsym.transforms import Condition, Transform

    factor = scalar("factor", "k")
    SCALE = Transform(
        name="scale", title="scale the gradients by a constant", doc="g <- k g",
        params=(Param("factor", 0.5, "the constant", symbol=factor,
                      valid=Condition(sp.Symbol("x") > 0, "factor must be > 0, got {value}")),),
        textbook=lambda cfg: (Assign(grads, each(grads, lambda x: factor * x)),),
        implementation=lambda cfg: (Assign(grads, ForeachMul(grads, factor)),),
        reference="torch._foreach_mul_",
        run_reference=lambda params, grads, cfg: torch._foreach_mul_(grads, cfg["factor"]))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from optsym.listops import Element, TensorList, grads, i, j
from optsym.params import Param, ParamSet
from optsym.spec import Assign, latex

Config = Mapping[str, Any]

#: the variable a :class:`Condition` is written in
x = sp.Symbol("x")  # no assumptions: the condition must also reject NaN and infinities


class Condition:
    """A parameter's domain as a SymPy condition in :data:`x`: a predicate for
    :attr:`Param.valid` that generated code prints as its own check, with the same message."""

    def __init__(self, condition: sp.Basic, message: str) -> None:
        self.condition = condition
        self.message = message
        self._test = sp.lambdify(x, condition, "math")

    def __call__(self, value: Any) -> bool:
        try:
            return bool(self._test(float(value)))
        except (TypeError, ValueError):
            return False

    def text(self) -> str:
        """The domain in words: the message without its ``got ...`` tail."""
        return self.message.split(", got")[0]


def param(name: str, default: Any, doc: str, symbol: sp.Symbol, condition: sp.Basic,
          message: str) -> Param:
    """A real parameter whose domain is ``condition`` (in :data:`x`), with its message."""
    check = Condition(condition, message)
    return Param(name, default, doc, symbol=symbol, valid=check, error=message)


#: (params, grads, cfg) -> what the reference returns; it updates the torch tensors in place
Reference = Callable[[list, list, Config], Any]


@dataclass(frozen=True)
class Transform(ParamSet):
    """A transform over the list of gradients, written once."""

    name: str
    title: str
    doc: str
    params: tuple[Param, ...]
    textbook: Callable[[Config], tuple[Assign, ...]]
    implementation: Callable[[Config], tuple[Assign, ...]]
    #: the reference by its full name (``torch.nn.utils.clip_grad_norm_``) and as a callable
    reference: str
    run_reference: Reference
    #: a 0-d value the transform returns (clip_grad_norm_'s total norm), or None
    returns: sp.Symbol | None = None
    #: fixed numbers of the reference that are no argument (clip_grad_norm_'s 1e-6)
    constants: Mapping[sp.Symbol, float] = field(default_factory=dict)
    #: ranges the numeric proof checks sample each scalar symbol from
    sample: Mapping[sp.Symbol, tuple[float, float]] = field(default_factory=dict)
    #: regions that cover the domain, for proofs by cases: (name, substitution)
    proof_regions: tuple[tuple[str, dict], ...] = ()
    #: cross-parameter checks: (predicate that is True when the config is bad, message)
    checks: tuple[tuple[Callable[[Config], bool], str], ...] = ()
    #: where the reference departs from the textbook, or what the form leaves out
    note: str = ""
    #: (cfg, steps, seed) -> [(params, grads)] of float64 arrays: the stream the check runs
    #: (default: :func:`optsym.verify.stream.make_problem`'s)
    stream: Callable[[Config, int, int], list[tuple[list, list]]] | None = None
    #: the keyword of :func:`optsym.api.verify` that composes this transform onto a rule
    #: (``clip_norm``: ``--clip-norm``); given on the transform's own check, it sets the
    #: transform's first parameter, as ``optsym verify clip-norm --clip-norm 0.5`` reads
    composes_as: str = ""

    def written(self, cfg: Config) -> tuple[TensorList, ...]:
        """The lists the transform updates (gradients, parameters), in the order written."""
        out: list[TensorList] = []
        for eq in self.implementation(cfg):
            if isinstance(eq.target, TensorList) and eq.target not in out:
                out.append(eq.target)
        return tuple(out)

    def outputs(self, cfg: Config) -> list[tuple[str, sp.Symbol]]:
        """(name, symbol) of what a step produces: the returned value, then the lists."""
        ret = [] if self.returns is None else [(str(self.returns), self.returns)]
        return ret + [(str(s), s) for s in self.written(cfg)]

    def describe(self, cfg: Config | None = None) -> dict:
        """The textbook form in words, as plain text and as LaTeX (an ``align*`` block)."""
        cfg = self.config(cfg)
        text, tex = [], []
        for eq in self.textbook(cfg):
            if isinstance(eq.expr, sp.Lambda):
                lhs, rhs = Element(eq.target, i, j), eq.expr.expr
            else:
                lhs, rhs = eq.target, eq.expr
            text.append(f"{sp.sstr(lhs)} <- {sp.sstr(rhs)}")
            tex.append(f"{latex(lhs)} &\\leftarrow {latex(rhs)}")
        return {"name": self.name, "title": self.title,
                "params": [{"name": p.name, "latex": latex(p.symbol) if p.symbol else p.name,
                            "domain": p.valid.text() if isinstance(p.valid, Condition) else "",
                            "default": p.default} for p in self.params],
                "text": "; ".join(text),
                "latex": "\\begin{align*}\n" + " \\\\\n".join(tex) + "\n\\end{align*}",
                "reference": self.reference, "note": self.note}


def chain(*transforms: tuple[Transform, Config]) -> tuple[Assign, ...]:
    """The implementation forms of ``(transform, cfg)`` pairs, one after the other (as
    ``optax.chain``): what runs on the gradients before a rule's step."""
    out: list[Assign] = []
    for transform, cfg in transforms:
        out += transform.implementation(transform.config(cfg))
    return tuple(out)


def sizes_of(arrays: Sequence[Any]) -> list[int]:
    return [int(getattr(a, "size", 1)) for a in arrays]


__all__ = ["Condition", "Transform", "chain", "param", "x", "grads"]
