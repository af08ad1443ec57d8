r"""Exponential moving averages: the weights, the bias, the window, momentum's terminal velocity.

Problem.  Momentum (torch's form) keeps :math:`v_t = \mu v_{t-1} + g_t` and Adam's moments keep
the EMA :math:`m_t = \beta m_{t-1} + (1 - \beta) g_t`, both from 0.  How much does the gradient of
:math:`k` steps ago count, why does Adam correct by :math:`1 - \beta^t`, and how fast does SGD
with momentum move under a constant gradient?

Results.

.. math::

    \begin{align*}
    v_t &= \sum_{j=0}^{t-1} \mu^j g_{t-j} \quad (\text{weight } \mu^k \text{ for } k
        \text{ steps ago; } 0.9^{10} \approx 0.349) \\
    \sum_{j=0}^{t-1} (1 - \beta) \beta^j &= 1 - \beta^t
        \quad (\text{so } m_t / (1 - \beta^t) \text{ is unbiased for a constant gradient}) \\
    \sum_{j \ge 0} \mu^j &= \frac{1}{1 - \mu} \quad (\text{effective window}), \qquad
        h = \frac{\ln 2}{\ln(1/\mu)} \quad (\text{half-life: } \mu^h = \tfrac12;
        6.58 \text{ steps at } 0.9) \\
    v_t &= g \frac{1 - \mu^t}{1 - \mu} \to \frac{g}{1 - \mu}, \qquad
        \theta_t - \theta_{t-1} \to -\frac{\eta}{1 - \mu} g
    \end{align*}

Reference: Goodfellow, Bengio & Courville, *Deep Learning* (2016), 8.3.2 (momentum's terminal
velocity); Kingma & Ba (2015), section 3 (bias correction).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from optsym.derivation import Check, Derivation, Param, Sheet

mu = sp.Symbol("mu", positive=True)
beta = sp.Symbol("beta", positive=True)
eta = sp.Symbol("eta", positive=True)
g = sp.Symbol("g", real=True)
t = sp.Symbol("t", integer=True, positive=True)
j = sp.Symbol("j", integer=True, nonnegative=True)
k = sp.Symbol("k", integer=True, nonnegative=True)
v = sp.Function("v")

#: the largest k and t the numeric cross-checks run (step by step)
MAX_K = 10**6
MAX_T = 10**5

PARAMS = (
    Param("mu", 0.9, "momentum mu (torch's SGD momentum) or EMA decay beta", symbol=mu,
          valid=lambda x: 0 < x < 1, error="{name} must be in (0, 1), got {value}"),
    # the cross-checks run the recursions k and t steps: caps keep them under a few seconds
    Param("k", 10, "how many steps ago", "int", k, valid=lambda x: 0 <= x <= MAX_K,
          error="{name} must be an integer >= 0 and <= %d "
                "(the cross-checks run it step by step), got {value}" % MAX_K),
    Param("t", 10, "steps taken", "int", t, valid=lambda x: 1 <= x <= MAX_T,
          error="{name} must be an integer >= 1 and <= %d "
                "(the cross-checks run it step by step), got {value}" % MAX_T),
    Param("lr", 0.1, "learning rate eta", symbol=eta, valid=lambda x: x > 0,
          error="{name} must be > 0, got {value}"),
    Param("g", 1.0, "the constant gradient", symbol=g),
)


def build() -> Sheet:
    d = Sheet()
    d.step("Momentum's buffer from v_0 = 0:", sp.Eq(v(t), mu * v(t - 1) + sp.Symbol("g_t")),
           "torch's SGD: buf = momentum * buf + grad")
    d.step("Unrolled, the gradient of j steps ago enters with weight mu^j:",
           sp.Eq(v(t), sp.Sum(mu**j * sp.Indexed("g", t - j), (j, 0, t - 1))),
           "induction on t")
    d.result("weight", "weight of the gradient of k steps ago", mu**k)
    ema_total = sp.summation((1 - beta) * beta**j, (j, 0, t - 1))
    ema_total = sp.simplify(ema_total.args[-1][0] if isinstance(ema_total, sp.Piecewise)
                            else ema_total)
    d.step("An EMA m_t = beta m_{t-1} + (1 - beta) g_t from 0 gives its weights the total",
           sp.Eq(sp.Sum((1 - beta) * beta**j, (j, 0, t - 1)), ema_total),
           "geometric sum (SymPy's generic case beta != 1)")
    d.result("ema_weight_sum", "total EMA weight after t steps (Adam's bias correction)",
             ema_total.subs(beta, mu))
    window = sp.summation(mu**j, (j, 0, sp.oo))
    window = window.args[0][0] if isinstance(window, sp.Piecewise) else window
    d.step("The weights sum to the effective window", sp.Eq(sp.Sum(mu**j, (j, 0, sp.oo)), window),
           "geometric series; SymPy returns a Piecewise on |mu| < 1, and 0 < mu < 1 here")
    d.result("window", "effective window 1/(1 - mu)", window)
    h = sp.Symbol("h", positive=True)
    half = sp.solveset(sp.Eq(mu**h, sp.Rational(1, 2)), h, sp.Interval.open(0, sp.oo))
    half = sp.simplify(next(iter(half))) if isinstance(half, sp.FiniteSet) and len(half) == 1 \
        else sp.log(2) / sp.log(1 / mu)
    d.step("A gradient's weight halves after h steps, mu^h = 1/2:", sp.Eq(h, half),
           "sympy.solveset on h > 0 (one root, as mu^h decreases for 0 < mu < 1)")
    d.result("half_life", "half-life: steps after which a gradient's weight halves",
             half)
    y = sp.Function("y")
    solved = sp.rsolve(y(t) - mu * y(t - 1) - g, y(t), {y(0): 0})
    d.step("Under a constant gradient g, v_t solves v_t = mu v_{t-1} + g, v_0 = 0:",
           sp.Eq(v(t), sp.factor(solved)), "sympy.rsolve")
    terminal = sp.simplify(solved.subs(mu**t, 0))
    d.step("As t grows mu^t -> 0 (0 < mu < 1: SymPy cannot assume mu < 1, so mu^t is set to 0 "
           "by hand):", sp.Eq(sp.Limit(v(t), t, sp.oo), terminal), "")
    d.result("velocity_t", "momentum buffer after t steps of a constant gradient",
             sp.factor(solved))
    d.result("terminal_velocity", "terminal velocity g/(1 - mu)", terminal)
    d.result("effective_lr", "effective learning rate eta/(1 - mu)", eta / (1 - mu))
    return d


def cross_checks(cfg) -> list[Check]:
    """Unroll the recursions numerically, and run optsym's generated SGD code."""
    from optsym import rules
    from optsym.codegen.module import generate, load

    m, kk, tt, lr, gg = cfg["mu"], cfg["k"], cfg["t"], cfg["lr"], cfg["g"]
    res = DERIVATION.instantiate(cfg)
    out = []
    # the weight of a unit gradient k steps ago, by running the recursion with one impulse
    buf = 0.0
    for step in range(kk + 1):
        buf = m * buf + (1.0 if step == 0 else 0.0)
    out.append(Check("weight of k steps ago by running v = mu v + g on an impulse", bool(
        np.isclose(buf, res["weight"], rtol=1e-12, atol=1e-300)), buf, res["weight"]))
    # the half-life: the first whole step at which the impulse's weight is <= 1/2, by iteration
    weight, steps_ = 1.0, 0
    while weight > 0.5 and steps_ < MAX_K:
        weight, steps_ = weight * m, steps_ + 1
    hl = res["half_life"]
    out.append(Check("half-life: the impulse's weight first falls to 1/2 at step ceil(h) "
                     "(iterating v = mu v), and mu^h = 1/2", bool(
                         steps_ == int(np.ceil(hl - 1e-12)) and np.isclose(m ** hl, 0.5,
                                                                            rtol=1e-12)),
                     steps_, hl))
    ema = 0.0
    for _ in range(tt):
        ema = m * ema + (1 - m) * 1.0
    out.append(Check("EMA of a constant 1 after t steps equals 1 - beta^t",
                     bool(np.isclose(ema, res["ema_weight_sum"], rtol=1e-12)), ema,
                     res["ema_weight_sum"]))
    # generated SGD (momentum) code under a constant gradient: per-step displacement
    rule = rules.get("sgd")
    ns = load(generate(rule, rule.config({"lr": lr, "momentum": m}), "numpy"), "ema_check")
    params = [np.zeros(1)]
    state = ns["init_state"](params)
    prev = 0.0
    for _ in range(tt):
        ns["step"](params, [np.full(1, gg)], state)
        displacement, prev = float(params[0][0]) - prev, float(params[0][0])
    predicted = -lr * res["velocity_t"]
    out.append(Check("generated SGD-momentum code: displacement at step t equals "
                     "-lr * v_t", bool(np.isclose(displacement, predicted, rtol=1e-10)),
                     displacement, predicted))
    for _ in range(20000):
        ns["step"](params, [np.full(1, gg)], state)
        displacement, prev = float(params[0][0]) - prev, float(params[0][0])
    limit = -res["effective_lr"] * gg
    out.append(Check("generated code after many steps moves -lr*g/(1 - mu) per step",
                     bool(np.isclose(displacement, limit, rtol=1e-8)), displacement, limit))
    return out


DERIVATION = Derivation(
    name="ema", title="Exponential moving averages and momentum's terminal velocity",
    doc=__doc__, params=PARAMS, build=build, cross_checks=cross_checks,
    assumptions=("0 < mu < 1", "the buffer and the EMA start at 0"))
