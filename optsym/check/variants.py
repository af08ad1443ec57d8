r"""The catalogue of named variants: the usual slips and conventions, each itself a rule spec.

A variant rewrites the rule's textbook equations (a list of :class:`~optsym.spec.Assign`); the
result is a :class:`~optsym.spec.Rule` whose code optsym generates and runs exactly as it runs
the spec, so a diagnosis ("eps inside the square root") is a checked fact: that rule reproduces
the target within the rounding bound, where the spec does not.

.. math::

    \text{eps inside: } \theta - \eta\,\hat m / \sqrt{\hat v + \epsilon}, \qquad
    \text{TF's eps-hat: } \theta - \eta \tfrac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\,
    m / (\sqrt{v} + \hat\epsilon), \qquad
    \text{lr in the velocity: } b = \mu b + \eta g,\ \theta = \theta - b

Every variant is listed in :data:`CATALOGUE` with the rules it applies to.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from optsym.spec import Assign, Config, Rule, g, t, theta

Eqs = list[Assign]


@dataclass(frozen=True)
class Variant:
    """A named rewrite of a rule's textbook equations."""

    name: str
    description: str
    rules: tuple[str, ...]  # the rules it applies to; () = every rule
    apply: Callable[[Rule, Config, Eqs], Eqs]
    #: the configuration option without which the variant equals the spec (None: always differs)
    needs: Callable[[Config], bool] = lambda cfg: True


def _sym(rule: Rule, name: str) -> sp.Symbol:
    return rule.hyper(name).symbol  # type: ignore[return-value]


def _state(rule: Rule, cfg: Config, name: str) -> sp.Symbol:
    return next(s.symbol for s in rule.states(cfg) if s.name == name)


def _first_state_index(rule: Rule, cfg: Config, eqs: Eqs) -> int:
    states = {s.symbol for s in rule.states(cfg)}
    return next((i for i, e in enumerate(eqs) if e.target in states or e.target == theta
                 and not _is_decay(rule, e)), len(eqs))


def _is_decay(rule: Rule, eq: Assign) -> bool:
    """``theta <- (1 - lr*lambda) theta`` (decoupled) or ``g <- g + lambda theta`` (coupled)."""
    if not any(h.name == "weight_decay" for h in rule.hypers):
        return False
    lam = _sym(rule, "weight_decay")
    return lam in eq.expr.free_symbols and eq.target in (g, theta)


def _replace(eqs: Eqs, target: sp.Symbol, fn: Callable[[sp.Expr], sp.Expr], last: bool = True
             ) -> Eqs:
    idx = [i for i, e in enumerate(eqs) if e.target == target]
    if not idx:
        return eqs
    i = idx[-1] if last else idx[0]
    out = list(eqs)
    out[i] = Assign(target, fn(eqs[i].expr), eqs[i].note)
    return out


# ---- variants every rule has --------------------------------------------------------------
def _sign(rule, cfg, eqs):
    return [Assign(g, -g, "sign flipped")] + list(eqs)


def _no_maximize(rule, cfg, eqs):
    return [e for e in eqs if not (e.target == g and e.expr == -g)]


def _decay_index(rule, eqs):
    return next((i for i, e in enumerate(eqs) if _is_decay(rule, e)), None)


def _coupled(rule, cfg, eqs):
    """decoupled -> coupled: theta <- (1 - lr lam) theta becomes g <- g + lam theta."""
    i = _decay_index(rule, eqs)
    if i is None or eqs[i].target != theta:
        return eqs
    lam = _sym(rule, "weight_decay")
    return eqs[:i] + [Assign(g, g + lam * theta, "coupled")] + eqs[i + 1:]


def _decoupled(rule, cfg, eqs):
    """coupled -> decoupled: g <- g + lam theta becomes theta <- (1 - lr lam) theta."""
    i = _decay_index(rule, eqs)
    if i is None or eqs[i].target != g:
        return eqs
    lr, lam = _sym(rule, "lr"), _sym(rule, "weight_decay")
    return eqs[:i] + [Assign(theta, (1 - lr * lam) * theta, "decoupled")] + eqs[i + 1:]


def _unscaled(rule, cfg, eqs):
    i = _decay_index(rule, eqs)
    if i is None or eqs[i].target != theta:
        return eqs
    lam = _sym(rule, "weight_decay")
    return eqs[:i] + [Assign(theta, (1 - lam) * theta, "decay not scaled by lr")] + eqs[i + 1:]


def _after(rule, cfg, eqs):
    i = _decay_index(rule, eqs)
    if i is None:
        return eqs
    lr, lam = _sym(rule, "lr"), _sym(rule, "weight_decay")
    return eqs[:i] + eqs[i + 1:] + [Assign(theta, (1 - lr * lam) * theta, "decay after update")]


def _wd(cfg):
    return cfg.get("weight_decay", 0) != 0


def _decoupled_cfg(cfg):
    return _wd(cfg) and cfg.get("decoupled_weight_decay", True)


def _coupled_cfg(cfg):
    return _wd(cfg) and not cfg.get("decoupled_weight_decay", "weight_decay" in cfg
                                    and "momentum" not in cfg and "alpha" not in cfg)


GENERIC = (  # maximize-ignored first: under maximize=True it is the sign flip, named better
    Variant("maximize-ignored", "maximize ignored (descends under maximize=True)", (),
            _no_maximize, lambda c: bool(c.get("maximize"))),
    Variant("sign-flipped", "the update's sign flipped (ascends: the maximize sign)", (), _sign),
    Variant("coupled-decay", "weight decay coupled (L2 on the gradient) instead of decoupled",
            (), _coupled, _decoupled_cfg),
    Variant("decay-not-scaled", "decoupled weight decay not scaled by the lr: (1 - wd) p", (),
            _unscaled, _decoupled_cfg),
    Variant("decoupled-decay", "weight decay decoupled (on the weights) instead of coupled",
            (), _decoupled, lambda c: _wd(c) and not c.get("decoupled_weight_decay", False)),
    Variant("decay-after-update", "weight decay applied after the update, not before", (),
            _after, _wd),
)


# ---- Adam ------------------------------------------------------------------------------------
def _second(rule, cfg):
    return _state(rule, cfg, "max_exp_avg_sq" if cfg.get("amsgrad") else "exp_avg_sq")


def _adam_hats(rule, cfg, eqs, fn):
    from optsym.rules.adam import m_hat, v_hat
    return _replace(_replace(eqs, m_hat, fn), v_hat, fn)


def _no_bc(rule, cfg, eqs):
    from optsym.rules.adam import m_hat, v_hat
    eqs = _replace(eqs, m_hat, lambda e: _state(rule, cfg, "exp_avg"))
    return _replace(eqs, v_hat, lambda e: _second(rule, cfg))


def _t_shift(d):
    return lambda rule, cfg, eqs: _adam_hats(rule, cfg, eqs, lambda e: e.xreplace({t: t + d}))


def _update(rule, cfg, eqs, fn):
    return _replace(eqs, theta, fn)


def _adam_update(expr_of):
    def apply(rule, cfg, eqs):
        from optsym.rules.adam import m_hat, v_hat
        lr, eps = _sym(rule, "lr"), _sym(rule, "eps")
        b1, b2 = _sym(rule, "beta1"), _sym(rule, "beta2")
        m, v = _state(rule, cfg, "exp_avg"), _second(rule, cfg)
        new = expr_of(lr, eps, b1, b2, m, v, m_hat, v_hat)
        i = max(i for i, e in enumerate(eqs) if e.target == theta)
        return eqs[:i] + [Assign(theta, new, "update")] + eqs[i + 1:]
    return apply


def _swap_betas(rule, cfg, eqs):
    b1, b2 = _sym(rule, "beta1"), _sym(rule, "beta2")
    return [Assign(e.target, e.expr.xreplace({b1: b2, b2: b1}), e.note) for e in eqs]


def _adam_g_not_squared(rule, cfg, eqs):
    b2, v = _sym(rule, "beta2"), _state(rule, cfg, "exp_avg_sq")
    return _replace(eqs, v, lambda e: b2 * v + (1 - b2) * g)


ADAM = ("adam", "adamw")
ADAM_VARIANTS = (
    Variant("no-bias-correction", "bias correction missing (m and v used as they are)", ADAM,
            _no_bc),
    Variant("t-from-0", "bias correction with t counted from 0 (1 - beta**(t-1))", ADAM,
            _t_shift(-1)),
    Variant("t-ahead", "bias correction with t one step ahead (1 - beta**(t+1))", ADAM,
            _t_shift(1)),
    Variant("eps-in-sqrt", "eps inside the square root: sqrt(v_hat + eps)", ADAM, _adam_update(
        lambda lr, eps, b1, b2, m, v, mh, vh: theta - lr * mh / sp.sqrt(vh + eps))),
    Variant("eps-hat", "TF's eps-hat form: lr*sqrt(1-beta2**t)/(1-beta1**t) * m/(sqrt(v)+eps)",
            ADAM, _adam_update(lambda lr, eps, b1, b2, m, v, mh, vh: theta - lr * sp.sqrt(
                1 - b2**t) / (1 - b1**t) * m / (sp.sqrt(v) + eps))),
    Variant("betas-swapped", "beta1 and beta2 swapped", ADAM, _swap_betas),
    Variant("g-not-squared", "g instead of g**2 in the second moment", ADAM,
            _adam_g_not_squared),
    Variant("sqrt-missing", "square root missing: m_hat / (v_hat + eps)", ADAM, _adam_update(
        lambda lr, eps, b1, b2, m, v, mh, vh: theta - lr * mh / (vh + eps))),
)


# ---- SGD -------------------------------------------------------------------------------------
def _sgd_buf(rule, cfg, eqs, later, first=None):
    from optsym.rules.sgd import buf
    if not cfg.get("momentum"):
        return eqs

    def fn(e):
        return later if first is None else sp.Piecewise((first, sp.Eq(t, 1)), (later, True))
    return _replace(eqs, buf, fn)


def _damp_step1(rule, cfg, eqs):
    from optsym.rules.sgd import buf
    mu, tau = _sym(rule, "momentum"), _sym(rule, "dampening")
    return _sgd_buf(rule, cfg, eqs, mu * buf + (1 - tau) * g)


def _ema_momentum(rule, cfg, eqs):
    from optsym.rules.sgd import buf
    mu = _sym(rule, "momentum")
    return _sgd_buf(rule, cfg, eqs, mu * buf + (1 - mu) * g)


def _sgd_lr_in_velocity(rule, cfg, eqs):
    from optsym.rules.sgd import buf, direction
    if not cfg.get("momentum"):
        return eqs
    lr, mu, tau = _sym(rule, "lr"), _sym(rule, "momentum"), _sym(rule, "dampening")
    eqs = _sgd_buf(rule, cfg, eqs, mu * buf + (1 - tau) * lr * g, lr * g)
    eqs = _replace(eqs, direction, lambda e: lr * g + mu * buf if cfg.get("nesterov") else buf)
    return _replace(eqs, theta, lambda e: theta - direction)


def _classical(rule, cfg, eqs):
    from optsym.rules.sgd import buf, direction
    return _replace(eqs, direction, lambda e: buf) if cfg.get("nesterov") else eqs


SGD_VARIANTS = (
    Variant("dampening-on-step-1", "dampening applied on step 1 (buffer from 0, not from g)",
            ("sgd",), _damp_step1, lambda c: bool(c.get("momentum")) and bool(c.get(
                "dampening"))),
    Variant("lr-in-velocity", "lr folded into the velocity: b = mu*b + lr*g, p -= b", ("sgd",),
            _sgd_lr_in_velocity, lambda c: bool(c.get("momentum"))),
    Variant("nesterov-lookahead", "Nesterov's look-ahead written with the gradient at the "
            "current point (classical momentum, not torch's g + mu*b)", ("sgd",), _classical,
            lambda c: bool(c.get("nesterov"))),
    Variant("ema-momentum", "momentum as an EMA: b = mu*b + (1 - mu)*g", ("sgd",),
            _ema_momentum, lambda c: bool(c.get("momentum"))),
)


# ---- RMSprop ---------------------------------------------------------------------------------
def _rms_avg(fn):
    def apply(rule, cfg, eqs):
        from optsym.rules.rmsprop import avg
        eps = _sym(rule, "eps")

        def rewrite(e):
            inner = sp.expand(e - eps)
            radicand = inner.base if isinstance(inner, sp.Pow) else inner**2
            return fn(radicand, eps)
        return _replace(eqs, avg, rewrite)
    return apply


def _rms_square(fn):
    def apply(rule, cfg, eqs):
        from optsym.rules.rmsprop import v
        a = _sym(rule, "alpha")
        return _replace(eqs, v, lambda e: fn(a, v))
    return apply


def _rms_lr_in_velocity(rule, cfg, eqs):
    from optsym.rules.rmsprop import avg, buf
    if not cfg.get("momentum"):
        return eqs
    lr, mu = _sym(rule, "lr"), _sym(rule, "momentum")
    eqs = _replace(eqs, buf, lambda e: mu * buf + lr * g / avg)
    return _replace(eqs, theta, lambda e: theta - buf)


RMS = ("rmsprop",)
RMSPROP_VARIANTS = (
    Variant("eps-in-sqrt", "eps inside the square root: sqrt(v + eps)", RMS,
            _rms_avg(lambda r, eps: sp.sqrt(r + eps))),
    Variant("sqrt-missing", "square root missing: v + eps", RMS,
            _rms_avg(lambda r, eps: r + eps)),
    Variant("g-not-squared", "g instead of g**2 in the average of squares", RMS,
            _rms_square(lambda a, v: a * v + (1 - a) * g)),
    Variant("alpha-swapped", "alpha and 1 - alpha swapped: (1 - alpha)*v + alpha*g**2", RMS,
            _rms_square(lambda a, v: (1 - a) * v + a * g**2)),
    Variant("lr-in-velocity", "lr folded into the momentum buffer: b = mu*b + lr*g/avg",
            RMS, _rms_lr_in_velocity, lambda c: bool(c.get("momentum"))),
)

CATALOGUE: tuple[Variant, ...] = ADAM_VARIANTS + SGD_VARIANTS + RMSPROP_VARIANTS + GENERIC


def for_rule(rule: Rule) -> list[Variant]:
    """The variants that apply to ``rule`` (its own slips first, then the generic ones)."""
    names = {h.name for h in rule.hypers}
    out = [v for v in CATALOGUE if rule.name in v.rules]
    for v in GENERIC:
        if "decay" in v.name and "weight_decay" not in names:
            continue
        if v.name == "maximize-ignored" and "maximize" not in names:
            continue
        out.append(v)
    return out


def variant_rule(rule: Rule, chosen: tuple[Variant, ...]) -> Rule:
    """``rule`` with the variants' rewrites applied, in order (its textbook form is both forms:
    a variant is run in the textbook form and checked within the rounding bound)."""
    def book(cfg: Config) -> tuple[Assign, ...]:
        eqs: Eqs = list(rule.textbook(cfg))
        for v in chosen:
            eqs = v.apply(rule, cfg, eqs)
        return tuple(eqs)
    name = rule.name + "".join("+" + v.name for v in chosen)
    return dataclasses.replace(rule, name=name, textbook=book, implementation=book, paths={})
