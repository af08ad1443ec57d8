r"""The heavy-ball chapter's warning: its optimal tuning is for quadratics.

Polyak's tuning :math:`\eta^* = 4/(\sqrt L + \sqrt\mu)^2`, :math:`\beta^* = ((\sqrt\kappa -
1)/(\sqrt\kappa + 1))^2` gives the rate :math:`(\sqrt\kappa - 1)/(\sqrt\kappa + 1)` on every
quadratic with its Hessian's eigenvalues in :math:`[\mu, L]`, but not on the wider class of
:math:`L`-smooth, :math:`\mu`-strongly convex functions.  Two worst cases of
:math:`\|x_n - x^*\|^2/\|x_0 - x^*\|^2` at :math:`\kappa = 25` (:math:`L = 1`), from
:math:`x_{-1} = x_0` (torch's first step):

* over the quadratics, the largest of :math:`x_n^2/x_0^2` over the eigenvalues
  :math:`\lambda \in [\mu, L]` of the scalar recursion :math:`x_{t+1} = x_t - \eta \lambda x_t
  + \beta (x_t - x_{t-1})` (a grid of 20001 eigenvalues; the coordinates decouple);
* over the smooth strongly convex functions, PEPit's performance-estimation SDP (Goujaud et
  al., 2024), which finds the worst function of the class for the same method and start.

PEPit is an optional dependency: without it the chapter prints :data:`RECORDED` (computed with
PEPit 0.5.1 and SCS), which ``tests/test_export_heavy_ball_note.py`` recomputes where PEPit is
installed.
"""

from __future__ import annotations

import importlib.util

KAPPA = 25
STEPS = (1, 2, 5, 10)
#: PEPit's worst cases at :data:`STEPS` (PEPit 0.5.1, SCS): the squared distance ratio
RECORDED = {1: 3.1605, 2: 7.9232, 5: 11.6868, 10: 25.1794}


def tuned(kappa: float = KAPPA, L: float = 1.0) -> tuple[float, float, float]:
    """Polyak's optimal (eta, beta) and rate for quadratics with eigenvalues in [L/kappa, L]:
    the heavy-ball derivation's own results (``eta_opt``, ``beta_opt``, ``rate_opt``)."""
    from optsym import derivations

    d = derivations.get("heavy-ball")
    r = d.instantiate(d.config({"mu": L / kappa, "L": L}))
    return float(r["eta_opt"]), float(r["beta_opt"]), float(r["rate_opt"])


def tuning(kappa: float = KAPPA, L: float = 1.0) -> tuple[float, float]:
    """Polyak's optimal (eta, beta) (:func:`tuned`)."""
    return tuned(kappa, L)[:2]


def quadratic_worst(n: int, kappa: float = KAPPA, grid: int = 20001) -> float:
    """max over lambda in [mu, L] of x_n^2/x_0^2 (heavy ball, x_{-1} = x_0, L = 1)."""
    import numpy as np

    eta, beta = tuning(kappa)
    lam = np.linspace(1 / kappa, 1.0, grid)
    x, before = np.ones_like(lam), np.ones_like(lam)
    for _ in range(n):
        x, before = x - eta * lam * x + beta * (x - before), x
    return float((x ** 2).max())


def pepit_worst(n: int, kappa: float = KAPPA) -> float:
    """PEPit's worst case of ||x_n - x*||^2/||x_0 - x*||^2 over L-smooth mu-strongly convex
    functions (L = 1, mu = 1/kappa)."""
    from PEPit import PEP
    from PEPit.functions import SmoothStronglyConvexFunction

    eta, beta = tuning(kappa)
    problem = PEP()
    f = problem.declare_function(SmoothStronglyConvexFunction, mu=1 / kappa, L=1.0)
    xs = f.stationary_point()
    x0 = problem.set_initial_point()
    problem.set_initial_condition((x0 - xs) ** 2 <= 1)
    x, before = x0, x0
    for _ in range(n):
        x, before = x - eta * f.gradient(x) + beta * (x - before), x
    problem.set_performance_metric((x - xs) ** 2)
    return float(problem.solve(verbose=0))


def worst_cases() -> tuple[dict[int, float], dict[int, float], bool]:
    """(quadratic worst cases, smooth strongly convex worst cases, computed now by PEPit)."""
    quadratic = {n: quadratic_worst(n) for n in STEPS}
    if importlib.util.find_spec("PEPit") is None:
        return quadratic, dict(RECORDED), False
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return quadratic, {n: pepit_worst(n) for n in STEPS}, True


def note() -> str:
    """The LaTeX section for the heavy-ball chapter."""
    quadratic, smooth, live = worst_cases()
    eta, beta, rate = tuned()
    rows = [rf"${n}$ & ${_num(quadratic[n])}$ & ${_num(smooth[n])}$ \\" for n in STEPS]
    source = ("computed by PEPit as this document was written" if live else
              "recorded with PEPit 0.5.1 (not installed here)")
    return "\n".join([
        r"\section*{Only for quadratics}",
        r"The optimal tuning above is derived for quadratics, and only there does it give the "
        r"rate $(\sqrt\kappa - 1)/(\sqrt\kappa + 1)$. On the wider class of $L$-smooth, "
        r"$\mu$-strongly convex functions the same $(\eta^*, \beta^*)$ can move away from "
        rf"the minimizer. At $\kappa = {KAPPA}$ ($L = 1$, $\mu = 1/{KAPPA}$: $\eta^* = {eta:.4g}$, "
        rf"$\beta^* = {beta:.4g}$, rate ${rate:.4g}$ on quadratics), from $x_{{-1}} = x_0$, the "
        r"worst case of $\|x_n - x^*\|^2/\|x_0 - x^*\|^2$:",
        r"\begin{center}\small", r"\begin{tabular}{@{}rrr@{}}", r"\toprule",
        r"$n$ & quadratics (eigenvalues in $[\mu, L]$) & smooth strongly convex (PEPit) \\",
        r"\midrule", *rows, r"\bottomrule", r"\end{tabular}", r"\end{center}",
        rf"On quadratics the worst case falls below 1 and on to 0; over smooth strongly convex "
        rf"functions it grows (to ${_num(smooth[STEPS[-1]])}$ at $n = {STEPS[-1]}$): a function "
        r"of that class on which heavy ball at this tuning moves away from the minimizer. "
        rf"The quadratic column is the largest $x_n^2/x_0^2$ of the scalar recursion over "
        rf"20001 eigenvalues in $[\mu, L]$; the PEPit column is its performance-estimation "
        rf"SDP ({source}). For such functions use the tunings with a global guarantee "
        r"(Ghadimi et al., 2015) or Nesterov's method, whose chapter derives its rate.",
    ])


def _num(v: float) -> str:
    from optsym.examples.texnum import tex_decimal

    return tex_decimal(v, 4)
