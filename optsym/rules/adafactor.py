r"""Adafactor (Shazeer & Stern, 2018), as torch 2.13 implements it.

.. optsym-equations: adafactor (generated from the spec: python -m optsym.rules.docmath)

.. math::

    \begin{align*}
    g &\gets - g && \text{maximize: ascend} \\
    \rho_t &\gets \min\left(\eta, \frac{1}{\sqrt{t}}\right) && \text{relative step size} \\
    \alpha_t &\gets \rho_t \max\left(\epsilon_2, \frac{\left\lVert \theta \right\rVert}{\sqrt{N}}\right) && \text{step size: relative to RMS(theta)} \\
    \theta &\gets \theta \left(- \eta \lambda + 1\right) && \text{decoupled weight decay} \\
    R &\gets \begin{cases} t^{\tau} \operatorname{mean}_{\mathrm{row}}\left(g^{2}\right) + R \left(1 - t^{\tau}\right) & \text{for}\: \operatorname{dim} > 1 \\R & \text{otherwise} \end{cases} && \text{row factor} \\
    C &\gets \begin{cases} t^{\tau} \operatorname{mean}_{\mathrm{col}}\left(g^{2}\right) + C \left(1 - t^{\tau}\right) & \text{for}\: \operatorname{dim} > 1 \\C & \text{otherwise} \end{cases} && \text{column factor} \\
    V &\gets \begin{cases} V & \text{for}\: \operatorname{dim} > 1 \\t^{\tau} g^{2} + V \left(1 - t^{\tau}\right) & \text{otherwise} \end{cases} && \text{unfactored second moment} \\
    \hat V &\gets \begin{cases} \frac{C R}{\max\left(\epsilon_{\mathrm{mach}}, \operatorname{mean}_{\mathrm{col}}\left(R\right)\right)} & \text{for}\: \operatorname{dim} > 1 \\V & \text{otherwise} \end{cases} && \text{variance estimate} \\
    U &\gets \frac{g}{\sqrt{\max\left(\epsilon_{\mathrm{mach}}^{2}, \hat V\right)}} && \text{U = g / max(sqrt(V), eps1)} \\
    \theta &\gets - \frac{\alpha_t U}{\max\left(1, \frac{\left\lVert U \right\rVert}{d \sqrt{N}}\right)} + \theta && \text{clipped update}
    \end{align*}

with :math:`\operatorname{RMS}(x) = \lVert x \rVert_2 / \sqrt{N}` over the tensor's N elements.
Symbols and torch arguments: :math:`\eta` = ``lr``, :math:`\tau` = ``beta2_decay``,
:math:`\epsilon_1, \epsilon_2` = ``eps`` (``eps1``, ``eps2``; ``eps1=None``, torch's default, is
the parameter dtype's machine epsilon), :math:`d` = ``d``, :math:`\lambda` = ``weight_decay``;
state :math:`R` = ``row_var`` (shape ``(..., n, 1)``), :math:`C` = ``col_var`` (``(..., 1, m)``),
:math:`V` = ``variance`` (the parameter's shape), all starting at 0.

**Per-shape forms.**  torch factors the second moment only for tensors of two or more
dimensions (over their last two axes).  The spec writes that choice as a ``Piecewise`` on the
tensor's dimension ``ndim`` (a per-tensor number, like ``t`` is a per-step one): generated code
prints it as a Python conditional, evaluated per tensor, so a vector never runs the factored
operations; the proof proves both branches; the rounding bound takes the branch of each tensor.
Every tensor gets all three state entries: the ones its branch does not use hold zeros of the
parameter's shape and are never read (torch has ``None`` there; optsym's reference snapshots
them as zeros).

**Where torch departs from the paper** (:data:`RULE.torch_note`): the relative step size is
capped by ``lr`` (the paper's constant 0.01), weight decay is decoupled and scaled by ``lr``,
:math:`\epsilon_1` clamps the variance estimate and its square root instead of being added to
the squared gradient, the factors are means (the paper's sums; the ratio is the same), and there
is no first moment (the paper's optional :math:`\beta_1`).  Update clipping
(:math:`\hat U = U / \max(1, \operatorname{RMS}(U)/d)`) and the decay schedule
:math:`\hat\beta_{2,t} = 1 - t^{\tau}` are the paper's.
"""

from __future__ import annotations

import sympy as sp

from optsym.ops import AddScaled, Item, Lerp, TAdd, TClampMin, TDiv, TMul, TNeg, TRsqrt
from optsym.reductions import Mean, Norm, TMatMul, TMeanDim, TNormDim
from optsym.pyops import PyDiv, PyMul, parse
from optsym.rules._prologue import decoupled_decay
from optsym.references import Reference
from optsym.spec import (
    Assign,
    Config,
    Hyper,
    Rule,
    State,
    at_least_one,
    g,
    hyper_maximize,
    machine_eps,
    n_cols,
    n_rows,
    ndim,
    nonneg,
    nonpositive,
    numel,
    scalar,
    t,
    tensor,
    theta,
)


def _eps1_valid(x: float | None) -> bool:
    """torch's ``eps[0] is not None and not 0.0 <= eps[0]`` check, as a validity test."""
    return x is None or 0.0 <= x


def _textbook_domain(cfg: Config, dtype: str) -> str | None:
    r"""The textbook form clamps :math:`\hat V` by :math:`\epsilon_1^2`: in ``dtype`` that square
    must be a normal number, or the clamp is 0 and a zero variance makes U = 0/0 (torch's order
    clamps its row means by :math:`\epsilon_1` itself and stays finite)."""
    e1 = cfg["eps1"]
    if e1 is None:
        return None
    if e1 == 0:
        return "eps1 = 0: the textbook clamp is 0, so a zero variance makes U = 0/0"
    import numpy as np

    tiny = float(np.finfo(dtype).tiny)
    if e1 * e1 < tiny:
        return (f"eps1**2 = {e1 * e1:.3g} is below {dtype}'s smallest normal number ({tiny:.3g}):"
                f" the textbook clamp needs eps1 >= {tiny ** 0.5:.3g}")
    return None


lr_h = Hyper("lr", scalar("lr", r"\eta", nonnegative=True), 1e-2,
             "cap of the relative step size rho_t, and the weight-decay scale", "lr >= 0", nonneg,
             "Learning rate should be >= 0 but is: {value}", (1e-3, 0.5))
beta2_decay_h = Hyper("beta2_decay", scalar("beta2_decay", r"\tau", nonpositive=True), -0.8,
                      "decay-rate exponent: 1 - beta2_t = t**beta2_decay", "beta2_decay <= 0",
                      nonpositive, "beta2_decay should be <= 0 but is: {value}", (-1.0, -0.5))
eps1_h = Hyper("eps1", scalar("eps1", r"\epsilon_1", nonnegative=True), None,
               "floor of the variance estimate's square root (eps[0]); None: the parameter "
               "dtype's machine epsilon", "eps1 >= 0, or None", _eps1_valid,
               "epsilon1 should be >= 0 but is: {value}", (1e-8, 1e-3),
               argument="eps", position=0)
eps2_h = Hyper("eps2", scalar("eps2", r"\epsilon_2", nonnegative=True), 1e-3,
               "floor of RMS(theta) in the step size (eps[1])", "eps2 >= 0", nonneg,
               "epsilon2 should be >= 0 but is: {value}", (1e-4, 1e-2),
               argument="eps", position=1)
d_h = Hyper("d", scalar("d", "d", positive=True), 1.0, "update-clipping threshold", "d >= 1",
            at_least_one, "Clipping threshold d should be >= 1 but is: {value}", (1.0, 2.0))
wd_h = Hyper("weight_decay", scalar("weight_decay", r"\lambda", nonnegative=True), 0.0,
             "decoupled weight decay (scaled by lr)", "weight_decay >= 0", nonneg,
             "weight_decay should be >= 0 but is: {value}", (0.0, 0.5))

lr, tau, eps2, d, lam = lr_h.symbol, beta2_decay_h.symbol, eps2_h.symbol, d_h.symbol, wd_h.symbol

R = tensor("row_var", "R")
C = tensor("col_var", "C")
V = tensor("variance", "V")
row_norm = tensor("row_norm", r"\lVert g \rVert_{\mathrm{row}}")
col_norm = tensor("col_norm", r"\lVert g \rVert_{\mathrm{col}}")
row_mean = tensor("row_mean", r"\bar r")
col_mean = tensor("col_mean", r"\bar c")
var_estimate = tensor("var_estimate", r"\hat V")
update = tensor("update", "U")
one_minus_beta2 = scalar("one_minus_beta2_t", r"(1 - \hat\beta_{2,t})")
rho_t = scalar("rho_t", r"\rho_t")
alpha = scalar("alpha", r"\alpha_t")
denom = scalar("denom", r"\delta_t")

#: torch factors the second moment of tensors with two or more dimensions
FACTORED = sp.Gt(ndim, 1)


def _eps1(cfg: Config) -> sp.Symbol:
    """eps1, or the machine epsilon of the parameter's dtype when it is None (torch's default)."""
    return machine_eps if cfg["eps1"] is None else eps1_h.symbol


def _factored(expr: sp.Expr, otherwise: sp.Expr = sp.S.Zero) -> sp.Expr:
    """``expr`` for a tensor of two or more dimensions, ``otherwise`` for a vector or scalar."""
    return sp.Piecewise((expr, FACTORED), (otherwise, True))


def states(cfg: Config) -> tuple[State, ...]:
    return (State("row_var", R, sp.S.Zero, "row factor of the second moment (>= 2-D tensors)",
                  nonnegative=True, shape_of="p[..., :1] if p.ndim > 1 else p"),
            State("col_var", C, sp.S.Zero, "column factor of the second moment (>= 2-D tensors)",
                  nonnegative=True, shape_of="p[..., :1, :] if p.ndim > 1 else p"),
            State("variance", V, sp.S.Zero, "second moment (tensors of at most one dimension)",
                  nonnegative=True))


def _maximize(cfg: Config, parity: bool) -> list[Assign]:
    return [Assign(g, TNeg(g) if parity else -g, "maximize: ascend")] if cfg["maximize"] else []


def _decay(cfg: Config, parity: bool) -> list[Assign]:
    return [decoupled_decay(lr, lam, parity)] if cfg["weight_decay"] != 0 else []


def textbook(cfg: Config) -> tuple[Assign, ...]:
    e1, w = _eps1(cfg), t**tau
    rms = Norm(theta) / sp.sqrt(numel)
    eqs = _maximize(cfg, parity=False) + [
        Assign(rho_t, sp.Min(lr, 1 / sp.sqrt(t)), "relative step size"),
        Assign(alpha, sp.Max(eps2, rms) * rho_t, "step size: relative to RMS(theta)")]
    eqs += _decay(cfg, parity=False)
    eqs += [Assign(R, _factored((1 - w) * R + w * Mean(g**2, -1), R), "row factor"),
            Assign(C, _factored((1 - w) * C + w * Mean(g**2, -2), C), "column factor"),
            Assign(V, _factored(V, (1 - w) * V + w * g**2), "unfactored second moment"),
            Assign(var_estimate, _factored(R * C / sp.Max(Mean(R, -2), e1), V),
                   "variance estimate"),
            Assign(update, g / sp.sqrt(sp.Max(var_estimate, e1**2)), "U = g / max(sqrt(V), eps1)"),
            Assign(theta, theta - alpha * update
                   / sp.Max(1, Norm(update) / sp.sqrt(numel) / d), "clipped update")]
    return tuple(eqs)


def _torch_order(cfg: Config) -> list[Assign]:
    """torch's order up to the update, shared by the single-tensor and foreach paths."""
    e1 = _eps1(cfg)
    eqs = _maximize(cfg, parity=True) + [
        Assign(one_minus_beta2, parse("step ** beta2_decay", {"step": t, "beta2_decay": tau}),
               "step_float**beta2_decay"),
        Assign(rho_t, parse("min(lr, 1 / (step ** 0.5))", {"lr": lr, "step": t}),
               "min(lr, 1 / (step_float**0.5))"),
        Assign(alpha, parse("max(eps2, norm / (numel ** 0.5)) * rho_t",
                            {"eps2": eps2, "norm": Item(Norm(theta)), "numel": numel,
                             "rho_t": rho_t}),
               "max(eps2, param.norm(2).item() / (param.numel() ** 0.5)) * rho_t")]
    eqs += _decay(cfg, parity=True)
    eqs += [Assign(row_norm, _factored(TNormDim(g, -1, n_cols)),
                   "torch.norm(grad, dim=-1, keepdim=True)"),
            Assign(row_mean, _factored(TDiv(TMul(row_norm, row_norm), n_cols)),
                   ".square_().div_(grad.size(-1))"),
            Assign(R, _factored(Lerp(R, row_mean, one_minus_beta2), R),
                   "row_var.lerp_(row_mean, one_minus_beta2_t)"),
            Assign(col_norm, _factored(TNormDim(g, -2, n_rows)),
                   "torch.norm(grad, dim=-2, keepdim=True)"),
            Assign(col_mean, _factored(TDiv(TMul(col_norm, col_norm), n_rows)),
                   ".square_().div_(grad.size(-2))"),
            Assign(C, _factored(Lerp(C, col_mean, one_minus_beta2), C),
                   "col_var.lerp_(col_mean, one_minus_beta2_t)"),
            Assign(V, _factored(V, Lerp(V, TMul(g, g), one_minus_beta2)),
                   "variance.lerp_(grad * grad, one_minus_beta2_t)"),
            Assign(var_estimate, _factored(TDiv(TMatMul(R, C), TClampMin(TMeanDim(R, -2), e1)),
                                           V),
                   "(row_var @ col_var).div_(row_var.mean(dim=-2, keepdim=True).clamp_(min=eps1))"
                   " or variance.clone()"),
            Assign(update, TMul(TRsqrt(TClampMin(var_estimate, PyMul(e1, e1))), g),
                   "var_estimate.clamp_(min=eps1 * eps1).rsqrt_().mul_(grad)"),
            Assign(denom, parse("max(1.0, norm / ((numel ** 0.5) * d))",
                                {"norm": Item(Norm(update)), "numel": numel, "d": d}),
                   "max(1.0, update.norm(2).item() / ((update.numel() ** 0.5) * d))")]
    return eqs


def implementation(cfg: Config) -> tuple[Assign, ...]:
    """torch's CPU single-tensor order: ``param.add_(update, alpha=-alpha / denom)``."""
    return tuple(_torch_order(cfg)) + (
        Assign(theta, AddScaled(theta, update, PyDiv(-alpha, denom)),
               "param.add_(update, alpha=-alpha / denom)"),)


def foreach(cfg: Config) -> tuple[Assign, ...]:
    """torch's foreach path: the update is scaled first, then added (two roundings, not one)."""
    return tuple(_torch_order(cfg)) + (
        Assign(theta, TAdd(theta, TMul(update, PyDiv(-alpha, denom))),
               "_foreach_mul_(updates, -alpha / denom); _foreach_add_(params, updates)"),)


RULE = Rule(
    name="adafactor",
    title="Adafactor",
    doc=__doc__,
    hypers=(lr_h, beta2_decay_h, eps1_h, eps2_h, d_h, wd_h, hyper_maximize()),
    textbook_domain=_textbook_domain,
    states=states,
    textbook=textbook,
    implementation=implementation,
    reference=Reference.torch("Adafactor", functional="optsym.verify.functional:adafactor"),
    # torch's OptimizerInfo inputs for Adafactor, and explicit epsilons
    sweep=({}, {"weight_decay": 0.1, "lr": 0.01}, {"weight_decay": 0.1, "maximize": True},
           {"beta2_decay": -1.0}, {"d": 1.5}, {"eps1": 1e-3, "eps2": 1e-2, "lr": 0.1}),
    torch_note="torch caps the relative step size by lr (the paper: 0.01), decays weights by "
               "lr*weight_decay (decoupled), clamps the variance estimate by eps1 (default: the "
               "dtype's machine epsilon) instead of adding eps1 to g^2, uses means where the "
               "paper sums, and has no first moment; update clipping by d and "
               "1 - beta2_t = t**beta2_decay are the paper's.",
    proof_assumptions=("max(sqrt(v), eps1) = sqrt(max(v, eps1**2)) for v, eps1 >= 0",
                       "a tensor's norm and means are the same numbers in both forms"),
    paths={"foreach": foreach},
)
