"""Coupled vs decoupled weight decay: the derivations against hand arithmetic and torch.optim.

The independent side is torch's own optimizer classes (``torch.optim.SGD``, ``Adam``, ``AdamW``)
run here on float64 numbers, and formulas derived by hand in the comments; nothing expected is
copied from optsym's output.
"""

from __future__ import annotations

import json
from fractions import Fraction

import click
import pytest
import sympy as sp
import torch
from click.testing import CliRunner

from optsym.cli import OptsymGroup
from optsym.cli.errors import UsageFailure
from optsym.cli.weight_decay import weight_decay
from optsym.ops import to_math
from optsym.rules import sgd
from optsym.rules._prologue import coupled_decay, decoupled_decay
from optsym.spec import g, theta
from optsym.weight_decay import (
    Forms,
    compare,
    one_step_differences,
    sgd_forms,
    theta0,
)

lr, lam, mu = sgd.lr, sgd.lam, sgd.mu
g1 = sp.Symbol("g_1", real=True)


def torch_run(cls, kwargs: dict, start: float, grads: list[float],
              decay_first: float = 0.0) -> list[float]:
    """Parameters after each step of the torch.optim class ``cls(**kwargs)`` in float64;
    ``decay_first``: multiply the parameter by it before each step (decoupled decay by hand)."""
    p = torch.nn.Parameter(torch.tensor([start], dtype=torch.float64))
    opt = cls([p], **kwargs)
    out = []
    for x in grads:
        p.grad = torch.tensor([x], dtype=torch.float64)
        if decay_first:
            with torch.no_grad():
                p.mul_(decay_first)
        opt.step()
        out.append(p.item())
    return out


def first_torch_difference(a: list[float], b: list[float]) -> int | None:
    for k, (x, y) in enumerate(zip(a, b), 1):
        if abs(x - y) > 1e-9 * max(abs(x), abs(y)):
            return k
    return None


@pytest.fixture(scope="module")
def plain_sgd():
    return compare("sgd")


@pytest.fixture(scope="module")
def momentum_sgd():
    return compare("sgd", 0.9)


@pytest.fixture(scope="module")
def adam_vs_adamw():
    return compare("adam")


def test_pieces_torch_order_equals_textbook():
    assert to_math(coupled_decay(lam, True).expr) == coupled_decay(lam, False).expr
    assert sp.simplify(to_math(decoupled_decay(lr, lam, True).expr)
                       - decoupled_decay(lr, lam, False).expr) == 0
    assert coupled_decay(lam, False).expr == g + lam * theta


def test_sgd_coupled_equals_decoupled(plain_sgd):
    assert plain_sgd.equal and plain_sgd.first_differing_step is None
    assert plain_sgd.difference == 0 and plain_sgd.numeric_max_diff <= 1e-30
    # by hand: theta - lr*(g + lam*theta) and (1 - lr*lam)*theta - lr*g
    assert sp.expand(plain_sgd.coupled - (theta - lr * (g + lam * theta))) == 0
    assert sp.expand(plain_sgd.decoupled - ((1 - lr * lam) * theta - lr * g)) == 0
    assert plain_sgd.verdict == "coupled == decoupled for SGD without momentum"
    (example,) = plain_sgd.examples
    # step 1 by hand: 1 - (1/10)*(1/2 + 1/10*1) = 47/50
    assert example.coupled[0] == example.decoupled[0] == sp.Rational(47, 50)
    assert example.first_differing_step is None and example.agrees_with_torch


def test_sgd_equal_in_torch_on_random_stream():
    gen = torch.Generator().manual_seed(0)
    grads = (torch.randn(30, generator=gen, dtype=torch.float64)).tolist()
    coupled = torch_run(torch.optim.SGD, {"lr": 0.05, "weight_decay": 0.2}, 0.7, grads)
    decoupled = torch_run(torch.optim.SGD, {"lr": 0.05}, 0.7, grads, 1 - 0.05 * 0.2)
    assert max(abs(a - b) / abs(a) for a, b in zip(coupled, decoupled)) < 1e-12


def test_decay_after_the_step_is_caught():
    """A wrong order (decay after the SGD step) must not pass as equal: it differs by
    (1 - lr*lam)*(theta - lr*g) - (theta - lr*(g + lam*theta)) = lr**2*lam*g."""
    right = sgd_forms()
    wrong = Forms(right.rule, right.cfg, right.coupled,
                  (*sgd.textbook(sgd.RULE.config()), decoupled_decay(lr, lam, parity=False)),
                  right.fixed)
    assert sp.simplify(one_step_differences(wrong)["param"] + lr**2 * lam * g) == 0


def test_sgd_momentum_buffer_carries_the_decay(momentum_sgd):
    assert not momentum_sgd.equal and momentum_sgd.first_differing_step == 2
    # by hand (dampening 0): b1 = g1 + lam*th0 vs g1, th1 equal; th2 = th1 - lr*b2 with
    # b2 = mu*b1 + g2 + lam*th1 (coupled) vs (1 - lr*lam)*th1 - lr*(mu*g1 + g2) (decoupled):
    # difference -lr*mu*lam*th0
    assert sp.expand(momentum_sgd.difference + lr * mu * lam * theta0) == 0
    assert momentum_sgd.verdict == "differ at step 2 for SGD with momentum 9/10"


def test_sgd_momentum_first_difference_matches_torch(momentum_sgd):
    for example in momentum_sgd.examples:
        start = float(example.inputs["theta_0"])
        grads = [float(x) for x in example.inputs["g"]]
        coupled = torch_run(torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1},
                            start, grads)
        decoupled = torch_run(torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}, start, grads,
                              1 - 0.1 * 0.1)
        k = first_torch_difference(coupled, decoupled)
        assert k is not None and k == example.first_differing_step
        for exact, ours in ((example.coupled, coupled), (example.decoupled, decoupled)):
            assert all(abs(float(e) - x) <= 1e-12 * abs(x) for e, x in zip(exact, ours))
    # from theta_0 = 1 the step-2 difference is -lr*mu*lam*theta_0 = -0.009
    k = momentum_sgd.examples[0].first_differing_step
    diff = momentum_sgd.examples[0].coupled[k - 1] - momentum_sgd.examples[0].decoupled[k - 1]
    assert diff == sp.Rational(-9, 1000)


def test_adam_step_one_difference(adam_vs_adamw):
    assert not adam_vs_adamw.equal and adam_vs_adamw.first_differing_step == 1
    eps, wd = sp.Symbol("eps", real=True, nonnegative=True), lam
    # by hand, step 1 (m_hat = g, v_hat = g**2): coupled theta0 - lr*(g+wd*theta0)/(|.|+eps),
    # decoupled (1 - lr*wd)*theta0 - lr*g/(|g|+eps)
    hand = (theta0 - lr * (g1 + wd * theta0) / (sp.Abs(g1 + wd * theta0) + eps)
            - (1 - lr * wd) * theta0 + lr * g1 / (sp.Abs(g1) + eps))
    assert sp.simplify(adam_vs_adamw.difference - hand) == 0
    assert adam_vs_adamw.numeric_max_diff <= 1e-30


def test_adam_vs_adamw_first_difference_matches_torch(adam_vs_adamw):
    ones, zero = adam_vs_adamw.examples
    # theta_0 = 1, g = 1/2, eps = 0: step 1 moves by exactly lr*sign: coupled 1 - 1/10 = 9/10,
    # decoupled (1 - 1/100) - 1/10 = 89/100
    assert (ones.coupled[0], ones.decoupled[0]) == (sp.Rational(9, 10), sp.Rational(89, 100))
    assert Fraction(9, 10) != Fraction(89, 100)
    for example in (ones, zero):
        hp = {"lr": float(example.inputs["lr"]), "eps": float(example.inputs["eps"]),
              "betas": (float(example.inputs["beta1"]), float(example.inputs["beta2"])),
              "weight_decay": float(example.inputs["weight_decay"])}
        start = float(example.inputs["theta_0"])
        grads = [float(x) for x in example.inputs["g"]]
        adam = torch_run(torch.optim.Adam, hp, start, grads)
        adamw = torch_run(torch.optim.AdamW, hp, start, grads)
        k = first_torch_difference(adam, adamw)
        assert k is not None and k == example.first_differing_step
        assert all(a == b for a, b in zip(adam[:k - 1], adamw[:k - 1]))  # agree before it
        for exact, ours in ((example.coupled, adam), (example.decoupled, adamw)):
            assert all(abs(float(e) - x) <= 1e-12 * abs(x) for e, x in zip(exact, ours))
    assert zero.first_differing_step == 2  # from theta_0 = 0 step 1 is -lr*sign(g) in both


def test_as_dict_is_json(adam_vs_adamw):
    data = json.loads(json.dumps(adam_vs_adamw.as_dict()))
    assert data["first_differing_step"] == 1 and data["consistent"]
    assert "\\eta" in data["difference_latex"]


def test_cli_sgd_and_adam():
    runner = CliRunner()
    out = runner.invoke(weight_decay, ["sgd"])
    assert out.exit_code == 0, out.output
    assert "verdict: coupled == decoupled for SGD without momentum" in out.output
    out = runner.invoke(weight_decay, ["sgd", "--momentum", "0.9"])
    assert out.exit_code == 0 and "differ at step 2" in out.output
    out = runner.invoke(weight_decay, ["adam", "--json"])
    assert out.exit_code == 0
    data = json.loads(out.output)
    assert data["first_differing_step"] == 1
    assert [e["first_differing_step"] for e in data["examples"]] == [1, 2]


@pytest.mark.parametrize("args", [["rmsprop"], ["adamm"], ["adam", "--momentum", "0.9"],
                                  ["sgd", "--momentum", "-1"], ["sgd", "--momentum", "inf"]])
def test_cli_usage_errors(args):
    out = CliRunner().invoke(weight_decay, args)
    assert out.exit_code != 0 and isinstance(out.exception, UsageFailure)
    assert "\n" not in str(out.exception)
    if args[0] != "sgd" and len(args) == 1:
        assert "sgd" in str(out.exception) and "adam" in str(out.exception)


def test_cli_usage_error_through_the_group():
    @click.group(cls=OptsymGroup)
    def group() -> None:
        pass

    group.add_command(weight_decay)
    out = CliRunner().invoke(group, ["weight-decay", "rmsprop"])
    assert out.exit_code == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("optsym: error:") and "sgd" in lines[0]
