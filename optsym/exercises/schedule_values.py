r"""Learning-rate schedule values: step decay, multistep decay, cosine annealing, linear warmup.

.. math::

    \begin{align*}
    \text{step:}\quad \eta_k &= \eta\, \gamma^{\lfloor k / s \rfloor}, \qquad
    \text{multistep:}\quad \eta_k = \eta\, \gamma^{\#\{i \,:\, m_i \le k\}} \\
    \text{cosine:}\quad \eta_k &= \eta_{\min} + \tfrac12 (\eta - \eta_{\min})
        \bigl(1 + \cos(\pi k / T)\bigr), \qquad
    \text{warmup:}\quad \eta_k = \eta \Bigl(s + (1 - s) \frac{\min(k, W)}{W}\Bigr)
    \end{align*}

:math:`k` counts the ``scheduler.step()`` calls made (:math:`\eta_0` is the lr of the first
optimizer step), as in :mod:`optsym.schedules.spec`.  The draw picks rational rates and factors
and, for the cosine, steps where :math:`k/T` is a multiple of 1/6 or 1/4 (so the values are
exact: rationals, :math:`\sqrt2`, :math:`\sqrt3`).  The answers are the schedule's closed form
(``optsym.schedules.get(name).closed_form``) at exact parameter values; the check runs optsym's
generated learning-rate functions (:mod:`optsym.schedules.codegen`: the closed form and torch's
own recursion, ``torch-parity``) and compares each value.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from fractions import Fraction

import sympy as sp

from optsym.derivation import Check
from optsym.exercises.topic import Params, Solution, Topic, close, tex

KINDS = ("step", "multistep", "cosine", "warmup")
RATES = tuple(sp.Rational(f) for f in ("1", "1/2", "1/5", "1/10", "2/5", "3/10", "1/4", "3/5"))
GAMMAS = tuple(sp.Rational(f) for f in ("1/2", "1/10", "1/5", "1/4", "1/3", "2/3"))
START_FACTORS = tuple(sp.Rational(f) for f in ("1/10", "1/5", "1/4", "1/2", "1/3"))
#: multiples of T at which cos(pi k / T) is exact (past T torch's cosine climbs back up)
#: how the schedules' symbols are written on the sheets
NAMES = {"eta_max": r"\eta", "eta_min": r"\eta_{\min}", "gamma": r"\gamma", "step_size": "s",
         "start_factor": "s", "warmup": "W", "T": "T", "k": "k"}
COSINE_POINTS = tuple(Fraction(f) for f in ("0", "1/6", "1/4", "1/3", "1/2", "2/3", "3/4",
                                            "5/6", "1", "3/2"))


def _steps(rng: random.Random, candidates: list[int], count: int = 3) -> tuple[int, ...]:
    return tuple(sorted(rng.sample(candidates, count)))


def draw(rng: random.Random) -> dict:
    kind = rng.choice(KINDS)
    eta = rng.choice(RATES)
    if kind == "step":
        size = rng.randint(2, 10)
        return {"schedule": kind, "eta_max": eta, "step_size": size,
                "gamma": rng.choice(GAMMAS), "k": _steps(rng, list(range(4 * size)))}
    if kind == "multistep":
        first = rng.randint(2, 20)
        milestones = (first, first + rng.randint(2, 20))
        return {"schedule": kind, "eta_max": eta, "milestones": milestones,
                "gamma": rng.choice(GAMMAS),
                "k": _steps(rng, list(range(milestones[1] + 10)), 4)}
    if kind == "cosine":
        T = rng.choice((12, 24, 36, 60, 120))
        low = rng.choice((sp.S.Zero, eta / 10, eta / 5))
        return {"schedule": kind, "eta_max": eta, "eta_min": low, "T": T,
                "k": tuple(int(f * T) for f in sorted(rng.sample(COSINE_POINTS, 3)))}
    W = rng.choice((4, 5, 8, 10, 20))
    return {"schedule": kind, "eta_max": eta, "warmup": W,
            "start_factor": rng.choice(START_FACTORS),
            "k": _steps(rng, list(range(2 * W + 1)))}


def _spec(p: Params):
    from optsym import schedules

    return schedules.get(p["schedule"])


def _cfg(p: Params) -> dict:
    """The schedule's configuration (floats, as the command line would give them)."""
    spec = _spec(p)
    given = {q.name: (float(p[q.name]) if q.kind == "real" else p[q.name])
             for q in spec.params if q.name in p}
    return spec.config(given)


def _exact(p: Params) -> dict[sp.Symbol, sp.Expr]:
    return {q.symbol: sp.sympify(p[q.name]) for q in _spec(p).params
            if q.symbol is not None and q.name in p}


def problem(p: Params) -> str:
    kind, ks = p["schedule"], ", ".join(str(k) for k in p["k"])
    if kind == "step":
        text = (rf"Step decay (torch's \texttt{{StepLR}}): the learning rate starts at "
                rf"$\eta = {tex(p['eta_max'])}$ and is multiplied by $\gamma = {tex(p['gamma'])}$"
                rf" every $s = {p['step_size']}$ steps.")
    elif kind == "multistep":
        text = (rf"Multistep decay (torch's \texttt{{MultiStepLR}}): the learning rate starts at "
                rf"$\eta = {tex(p['eta_max'])}$ and is multiplied by $\gamma = {tex(p['gamma'])}$"
                rf" at the milestones $k = {p['milestones'][0]}$ and $k = {p['milestones'][1]}$.")
    elif kind == "cosine":
        text = (r"Cosine annealing (torch's \texttt{CosineAnnealingLR}) from "
                rf"$\eta_{{\max}} = {tex(p['eta_max'])}$ to $\eta_{{\min}} = {tex(p['eta_min'])}$"
                rf" over $T = {p['T']}$ steps (past $T$ it follows the cosine back up).")
    else:
        text = (r"Linear warmup (torch's \texttt{LinearLR} with \texttt{end\_factor=1}): the "
                rf"learning rate rises linearly from ${tex(p['start_factor'])}\,\eta$ at $k = 0$"
                rf" to the peak $\eta = {tex(p['eta_max'])}$ at $k = W = {p['warmup']}$ and stays"
                " there.")
    return text + rf"  Give the exact learning rate $\eta_k$ at $k = {ks}$."


def solve(p: Params) -> Solution:
    from optsym.schedules.spec import k

    spec = _spec(p)
    form = spec.closed_form(_cfg(p))
    s = Solution()
    # displayed, not inline: a piecewise form in running text stretches the line it sits on
    s.say(rf"The closed form ({_texttt(spec.title)}) is \[\eta_k = {_tex(form)}\] here "
          + ", ".join(rf"${_tex(sym)} = {tex(v)}$" for sym, v in _exact(p).items()) + ".")
    at = form.subs(_exact(p))
    for step in p["k"]:
        value = sp.radsimp(at.subs(k, step))
        s.answer(f"lr_{step}", rf"\eta_{{{step}}}", value)
    return s


def check(p: Params, ans: Mapping[str, sp.Expr]) -> list[Check]:
    """optsym's generated learning-rate code, closed form and torch's recursion."""
    from optsym.schedules.codegen import load_lrs

    spec, cfg = _spec(p), _cfg(p)
    n = max(p["k"]) + 1
    out = []
    for form in ("closed", "torch-parity"):
        lrs = load_lrs(spec, cfg, form)(n)
        for step in p["k"]:
            exact = ans[f"lr_{step}"]
            out.append(Check(f"eta_{step} equals optsym's generated {form} lr function",
                             close(lrs[step], exact), lrs[step], str(exact),
                             f"{lrs[step]!r} vs {sp.sstr(exact)}"))
    return out


def _tex(expr: sp.Basic) -> str:
    names = {sym: NAMES[sym.name] for sym in expr.free_symbols if sym.name in NAMES}
    return sp.latex(expr, symbol_names=names)


def _texttt(title: str) -> str:
    """'Step decay (StepLR)' with the torch class name in typewriter type."""
    head, _, rest = title.partition("(")
    return head.strip() + (rf", \texttt{{{rest.rstrip(')')}}}" if rest else "")


TOPIC = Topic(
    name="schedule-values", title="Learning-rate schedule values",
    intro=r"$\eta_k$ is the learning rate after $k$ calls of \texttt{scheduler.step()}: "
          r"$\eta_0$ is the rate of the first optimizer step.  Give exact values (fractions and "
          r"square roots, no decimals).",
    draw=draw, problem=problem, solve=solve, check=check)
