"""Lion and LAMB against pytorch_optimizer (an independent implementation), with mutations."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp

from optsym import rules
from optsym.ops import Lerp, TSign
from optsym.reductions import Norm
from optsym.spec import Assign, g
from optsym.verify.bounds import evaluate_bound
from optsym.verify.runner import verify


# bitwise parity over each sweep against pytorch_optimizer: tests/test_verify_rules.py
@pytest.mark.parametrize(("name", "cls"), [("lion", "Lion"), ("lamb", "Lamb")])
def test_textbook_forms_really_differ_from_pytorch_optimizer(run_json, name, cls):
    code, out = run_json("verify", name, "--steps", "20", "--backend", "numpy", "--dtype",
                         "float32")
    assert code == 0 and out["reference"] == f"pytorch_optimizer.{cls}"
    # the textbook forms really differ from the reference's order: the bound does the work
    assert max(r["max_ulp"] for r in out["results"]) > 0
    assert all(r["worst_ratio"] <= 1 for r in out["results"])


def test_the_reference_is_pytorch_optimizer_not_ours():
    import pytorch_optimizer

    from optsym.verify.reference import reference_class

    assert reference_class(rules.get("lion")) is pytorch_optimizer.Lion
    assert reference_class(rules.get("lamb")) is pytorch_optimizer.Lamb
    assert rules.get("lion").reference_class == "pytorch_optimizer.Lion"
    assert rules.get("adam").reference_class == "torch.optim.Adam"


def _mutant(rule, edit):
    """``rule`` with both forms edited the same way (so that only the reference can object)."""
    return dataclasses.replace(rule, textbook=lambda cfg: edit(rule.textbook(cfg)),
                               implementation=lambda cfg: edit(rule.implementation(cfg)))


def test_lion_without_the_interpolation_fails():
    from optsym.rules.lion import c

    def sign_of_gradient(eqs):
        out = []
        for eq in eqs:
            if eq.target == c:  # textbook: c = g
                eq = Assign(c, g)
            expr = eq.expr.replace(lambda e: isinstance(e, TSign) and isinstance(e.args[0], Lerp),
                                   lambda e: TSign(g))
            out.append(Assign(eq.target, expr, eq.note))
        return tuple(out)

    report = verify(_mutant(rules.get("lion"), sign_of_gradient), [{}], steps=20)
    assert report.results and not any(r.passed for r in report.results)
    assert all(r.failure for r in report.results)


def test_lamb_without_the_trust_ratio_fails():
    lamb = rules.get("lamb")
    mutant = dataclasses.replace(
        lamb, textbook=lambda cfg: lamb.textbook({**cfg, "adam": True}),
        implementation=lambda cfg: lamb.implementation({**cfg, "adam": True}))
    report = verify(mutant, [{}], steps=20)
    assert report.results and not any(r.passed for r in report.results)


def test_lamb_with_the_paper_bias_correction_of_v_fails():
    """pytorch_optimizer's LAMB does not bias-correct v (the paper does): the check can tell."""
    from optsym.rules.lamb import v
    from optsym.spec import t

    lamb = rules.get("lamb")

    def corrected(eqs):
        beta2 = lamb.hyper("beta2").symbol
        return tuple(Assign(eq.target, eq.expr.xreplace({v: v / (1 - beta2**t)})
                            if eq.target != v else eq.expr, eq.note) for eq in eqs)

    report = verify(_mutant(lamb, corrected), [{}], backends=("torch",), steps=20)
    assert not report.passed


def test_norm_bound_covers_a_float32_norm():
    """The rounding bound of a tensor norm holds for float32 norms summed in other orders."""
    from optsym.spec import tensor

    x = tensor("x")
    rng = np.random.default_rng(1)
    data = rng.standard_normal((40, 7, 9)) * 10.0 ** rng.uniform(-3, 3, (40, 1, 1))
    bound = evaluate_bound(Norm(x), set(), {"x": data}, 2.0**-24)
    exact = np.sqrt((data**2).sum(axis=(1, 2)))
    for order in (data, data[:, ::-1, ::-1]):
        f32 = order.astype(np.float32).reshape(40, -1)
        ours = np.sqrt(np.cumsum(f32 * f32, axis=1, dtype=np.float32)[:, -1])
        err = np.abs(ours.astype(np.float64) - exact)
        assert (err <= 2.0**-24 * bound.ravel()).all()
    assert (bound.ravel() > 0).all()


def test_a_sign_near_zero_is_not_checkable_to_first_order():
    from optsym.spec import scalar, tensor

    a, b, w = tensor("a"), tensor("b"), scalar("w")
    values = {"a": np.array([1.0, 1.0, 1e-300]), "b": np.array([-1.0, 3.0, 0.0]), "w": 1.0}
    bound = evaluate_bound(sp.sign(a + w * b), {w}, values, 2.0**-53)
    # c = 0 (within rounding of 0): either sign may come out; c = 4 and c = a exactly: flat
    assert np.isinf(bound[0]) and bound[1] == 0 and bound[2] == 0


def test_list_shows_lion_and_lamb(run_json):
    code, out = run_json("list")
    names = {r["rule"] for r in out["rules"]}
    assert code == 0 and {"lion", "lamb"} <= names


def test_lion_composes_with_a_schedule_and_clipping_bitwise(run_json):
    code, out = run_json("verify", "lion", "--lr", "0.01", "--schedule", "cosine",
                         "--schedule-opt", "T=20", "--clip-norm", "1.0", "--steps", "20",
                         "--backend", "torch-parity")
    assert code == 0 and out["passed"]
    assert all(r["max_ulp"] == 0 and r["mode"] == "trajectory" for r in out["results"])
