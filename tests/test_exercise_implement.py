"""The implement-optimizer exercise: its answers against a from-scratch computation in exact
fractions (written here from torch's documented update, not from optsym), and its problem names
the solution checker ``optsym check``."""

from __future__ import annotations

import random
from fractions import Fraction as F

import pytest
import sympy as sp

from optsym.exercises import implement


def _hand(rule, h, x0, g, steps=2):
    """torch's documented updates, coordinate by coordinate, in fractions (eps = 0 or a square
    root-free case; RMSprop is left to the generated-code check)."""
    xs, out = [F(int(v)) for v in x0], []
    state = [dict(buf=None, m=F(0), v=F(0)) for _ in xs]
    for t in range(1, steps + 1):
        for i, gi in enumerate(g):
            gi, s = F(str(gi)), state[i]
            if rule == "sgd":
                s["buf"] = gi if s["buf"] is None else h["momentum"] * s["buf"] + gi
                xs[i] -= h["lr"] * s["buf"]
                continue
            if rule == "adamw":
                xs[i] *= 1 - h["lr"] * h["weight_decay"]
            s["m"] = h["beta1"] * s["m"] + (1 - h["beta1"]) * gi
            s["v"] = h["beta2"] * s["v"] + (1 - h["beta2"]) * gi * gi
            m_hat = s["m"] / (1 - h["beta1"] ** t)
            v_hat = s["v"] / (1 - h["beta2"] ** t)
            root = abs(gi) if v_hat == gi * gi else None   # constant gradient: v_hat = g^2
            xs[i] -= h["lr"] * m_hat / (root + h["eps"])
        out.append(tuple(xs))
    return out


def _drawn(rule):
    rng = random.Random(0)
    for _ in range(200):
        p = implement.draw(rng)
        if p["rule"] == rule:
            return p
    raise AssertionError(f"no {rule} problem drawn")


@pytest.mark.parametrize("rule", ["sgd", "adam", "adamw"])
def test_answers_equal_a_from_scratch_computation(rule):
    p = _drawn(rule)
    h = {k: F(str(v)) for k, v in implement.hypers(p).items()}
    expected = _hand(rule, h, p["x0"], p["g"])
    got = implement.solve(p).values()
    for t, exact in enumerate(expected, 1):
        assert tuple(got[f"x{t}"]) == tuple(sp.Rational(v.numerator, v.denominator)
                                            for v in exact)
    assert all(c.passed for c in implement.check(p, got))


def test_a_wrong_answer_fails_its_check():
    p = _drawn("adam")
    got = implement.solve(p).values()
    got["x2"] = sp.Tuple(*(v + sp.Rational(1, 1000) for v in got["x2"]))
    assert not all(c.passed for c in implement.check(p, got))


def test_the_problem_asks_for_the_solution_checker():
    p = _drawn("rmsprop")
    text = implement.problem(p)
    assert r"optsym check my\_opt.py:MyOpt --rule rmsprop" in text
    assert r"\texttt{alpha}" in text
