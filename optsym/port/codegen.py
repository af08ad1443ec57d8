r"""An optax ``GradientTransformation`` generated from a rule's spec: ``codegen --target optax``.

The module is printed from the rule's textbook equations, the same :class:`~optsym.spec.Assign`
list the NumPy and torch targets print, by a subclass of SymPy's ``JaxPrinter``: every
expression, scalar ones too, becomes ``jax.numpy`` code, so the update can be ``jax.jit``-ed
(torch's Python-float bias corrections would not trace).  optax's contract is functional:

.. math::

    (u_t, s_t) = \mathrm{update}(g_t, s_{t-1}, \theta_{t-1}), \qquad
    \theta_t = \theta_{t-1} + u_t \quad (\texttt{optax.apply\_updates})

so the generated ``update`` returns :math:`u_t = \theta_t - \theta_{t-1}`: printed as the
increment itself where the rule's last equation is :math:`\theta \leftarrow \theta + D` and
nothing else reads :math:`\theta` (Adam: ``params`` is not needed), else computed as the
difference (weight decay reads :math:`\theta`; ``params`` is then required).  ``lr`` may be a
number or an optax schedule ``count -> lr`` (``count`` = 0 on the first update, optax's
convention).  Hyperparameters are validated when the transformation is built, with the rule's
own messages.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.numpy import JaxPrinter

from optsym import __version__
from optsym.listops import print_element, print_sum
from optsym.spec import (
    CHECK_CODE,
    PER_TENSOR_CODE,
    Assign,
    Config,
    Rule,
    SpecError,
    t,
    theta,
)

#: the per-tensor numbers (Adafactor's shape numbers, machine epsilon) in jax
_PER_TENSOR = {"ndim": "grad.ndim", "numel": "param.size",
               "n_rows": "(grad.shape[-2] if grad.ndim > 1 else 1)",
               "n_cols": "(grad.shape[-1] if grad.ndim > 1 else 1)",
               "machine_eps": "jax.numpy.finfo(grad.dtype).eps"}


#: symbols known when the code is traced (shape numbers): conditions on them are Python's
_STATIC = frozenset(s for s in PER_TENSOR_CODE if str(s) != "machine_eps")


class OptaxPrinter(JaxPrinter):
    """``jax.numpy`` source for a rule's textbook equations (scalars included: jit-safe)."""

    _sum_call = "jax.numpy.sum"

    def _print_Copy(self, expr):  # arrays are immutable: no copy needed
        return self._print(expr.args[0])

    def _print_Mean(self, expr):
        return (f"{self._module_format('jax.numpy.mean')}({self._print(expr.args[0])}, "
                f"axis={int(expr.args[1])}, keepdims=True)")

    def _print_Norm(self, expr):
        return f"{self._module_format('jax.numpy.linalg.norm')}({self._print(expr.args[0])})"

    def _print_Element(self, expr):
        return print_element(self, expr)

    def _print_Sum(self, expr):
        return print_sum(self, expr, self._sum_call)

    def _print_Max(self, expr):
        out = self._print(expr.args[0])
        for arg in expr.args[1:]:
            out = f"{self._module_format('jax.numpy.maximum')}({out}, {self._print(arg)})"
        return out

    def _print_Min(self, expr):
        out = self._print(expr.args[0])
        for arg in expr.args[1:]:
            out = f"{self._module_format('jax.numpy.minimum')}({out}, {self._print(arg)})"
        return out

    def _print_Piecewise(self, expr):
        """Shape conditions (static under ``jit``) as Python conditionals; the rest as ``select``."""
        if not all(c.free_symbols <= _STATIC for _, c in expr.args if c is not sp.true):
            return super()._print_Piecewise(expr)
        *cases, (last, _) = expr.args
        out = self._print(last)
        for branch, cond in reversed(cases):
            test = f"{self._print(cond.lhs)} {cond.rel_op} {self._print(cond.rhs)}"
            out = f"({self._print(branch)} if {test} else {out})"
        return out

    def _print_FrameworkOp(self, expr):
        raise SpecError(f"{type(expr).__name__} is a torch operation; the optax target prints "
                        "textbook forms")


def _increment(equations: tuple[Assign, ...]) -> sp.Expr | None:
    r"""``D`` when the last equation is :math:`\theta \leftarrow \theta + D` and no other
    equation reads :math:`\theta`; else None (the update is then a difference)."""
    *rest, last = equations
    if last.target != theta or any(theta in e.expr.free_symbols for e in rest):
        return None
    rest_of_update = sp.expand(last.expr - theta, deep=False, mul=False, multinomial=False)
    return None if theta in rest_of_update.free_symbols else last.expr - theta


def _fmt(value) -> str:
    return repr(value) if isinstance(value, bool) else repr(float(value))


def generate(rule: Rule, cfg: Config) -> str:
    """Python source of a module with ``<rule>(**hypers) -> optax.GradientTransformation``."""
    equations = rule.textbook(cfg)
    states = rule.states(cfg)
    printer = OptaxPrinter({"fully_qualified_modules": True})
    used = set().union(*(eq.expr.free_symbols for eq in equations))
    in_init = set().union(*(s.init.free_symbols for s in states))
    hypers = [h for h in rule.hypers
              if h.symbol is not None and h.symbol in used | in_init]
    per_tensor = [s for s in PER_TENSOR_CODE if s in used]
    increment = _increment(equations)
    fn = rule.name.replace("-", "_")
    state_cls = f"{fn.title().replace('_', '')}State"
    names = [s.name for s in states]
    lines = [
        f'"""{rule.title} as an optax GradientTransformation, generated by optsym {__version__} '
        f"from the rule spec 'optsym.rules.{rule.name}'.",
        "",
        "Configuration: " + ", ".join(f"{k}={_fmt(v) if v is not None else None}"
                                      for k, v in cfg.items()),
        "Form: the textbook equations; the update returned is theta_t - theta_{t-1}.",
        "",
        "Usage::",
        "",
        f"    tx = {fn}(lr=1e-3)            # lr may be an optax schedule",
        "    state = tx.init(params)",
        "    updates, state = tx.update(grads, state, params)",
        "    params = optax.apply_updates(params, updates)",
        "",
        f"Do not edit: regenerate with ``optsym codegen {rule.name} --target optax``.",
        '"""',
        "",
        "from typing import Any, NamedTuple",
        "",
        "import jax",
        "import jax.numpy",
        "import optax",
        "",
        "",
        f"class {state_cls}(NamedTuple):",
        "    count: Any",
        *[f"    {n}: Any" for n in names],
        "",
        "",
    ]
    sig = ", ".join(f"{h.name}={_fmt(cfg[h.name])}" for h in hypers)
    lines.append(f"def {fn}({sig}) -> optax.GradientTransformation:")
    lines.append(f'    """{rule.title}: ``init`` and ``update`` for optax."""')
    for h in [rule.hyper(n) for n in rule.check_order] or rule.hypers:
        if h in hypers and h.valid in CHECK_CODE and h.name != "lr":
            message = h.error.replace("{value}", "{" + h.name + "}")
            lines.append(f"    if {CHECK_CODE[h.valid].format(x=h.name)}:")
            lines.append(f'        raise ValueError(f"{message}")')
    lines += ["", "    def init_fn(params):",
              "        leaves = jax.tree_util.tree_leaves(params)"]
    inits = []
    for s in states:
        value = printer.doprint(s.init) if s.init != 0 else "0"
        if s.scalar:
            inits.append(f"[jax.numpy.asarray({value}, dtype=jax.numpy.float32) for p in leaves]")
        elif s.init == 0:
            inits.append(f"[jax.numpy.zeros_like({s.shape_of}) for p in leaves]")
        else:
            inits.append(f"[jax.numpy.full_like(p, {value}) for p in leaves]")
    lines.append(f"        return {state_cls}(jax.numpy.zeros([], jax.numpy.int32)"
                 + "".join(f", {init}" for init in inits) + ")")
    lines += ["", "    def leaf(" + ", ".join(["t", "lr", "grad", "param"]
                                      + [str(s.symbol) for s in states]) + "):"]
    for sym in per_tensor:
        lines.append(f"        {sym} = {_PER_TENSOR[str(sym)]}")
    body = equations[:-1] if increment is not None else equations
    for eq in body:
        note = f"  # {eq.note}" if eq.note else ""
        lines.append(f"        {eq.target} = {printer.doprint(eq.expr)}{note}")
    delta = printer.doprint(increment) if increment is not None else "param - param0"
    if increment is None:
        lines.insert(len(lines) - len(body), "        param0 = param")
    for s in states:  # torch keeps a scalar state (NAdam's mu_product) in float32
        if s.scalar:
            lines.append(f"        {s.symbol} = jax.numpy.asarray({s.symbol}, "
                         "dtype=jax.numpy.float32)")
    lines.append("        return (" + ", ".join([delta] + [str(s.symbol) for s in states]) + ",)")
    lines += ["", "    def update_fn(updates, state, params=None):"]
    if increment is None:
        lines += ["        if params is None:",
                  f'            raise ValueError("{fn} reads the parameters: pass params to '
                  'update")']
    lines += ["        leaves, treedef = jax.tree_util.tree_flatten(updates)",
              "        ps = (treedef.flatten_up_to(params) if params is not None "
              "else [None] * len(leaves))",
              "        count = state.count + 1",
              "        t = count.astype(jax.numpy.result_type(float))",
              "        rate = lr(state.count) if callable(lr) else lr",
              "        out = [leaf(t, rate, g, p" + "".join(f", state.{n}[i]" for n in names)
              + ") for i, (g, p) in enumerate(zip(leaves, ps))]",
              f"        new = {state_cls}(count" + "".join(
                  f", [o[{i + 1}] for o in out]" for i in range(len(states))) + ")",
              "        return treedef.unflatten([o[0] for o in out]), new",
              "", "    return optax.GradientTransformation(init_fn, update_fn)", ""]
    source = "\n".join(lines)
    if t not in used:
        source = source.replace("        t = count.astype(jax.numpy.result_type(float))\n", "")
        source = source.replace("leaf(t, rate,", "leaf(None, rate,")
    return source
