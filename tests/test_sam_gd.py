"""GD, minibatch SGD and SAM over an objective, against torch's own loops, with mutations."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

from optsym import minibatch, objective_rules, sam
from optsym.full_batch import exact_iterates, sgd_config, step_map, torch_loop
from optsym.objective import parse_objective
from optsym.objective_rules import StepMap, check_step_map, verify_objective_rule
from optsym.spec import SpecError


@pytest.mark.parametrize(("name", "options"), [
    ("gd", {}),
    ("gd", {"objective": "beale", "x0": "1,1", "lr": 0.01}),
    ("gd", {"objective": "narrow-valley", "x0": "2,1", "lr": 0.05, "weight_decay": 0.1}),
    ("minibatch-sgd", {}),
    ("minibatch-sgd", {"batch_size": 5, "lr": 0.1, "weight_decay": 0.01}),
    ("sam", {}),
    ("sam", {"rho": 0.5, "lr": 0.02, "x0": "1,-2", "n": 12}),
])
def test_verify_passes_against_torch_loops(name, options):
    report = verify_objective_rule(name, steps=40, options=options)
    assert report.passed, report.lines()
    assert {r.dtype for r in report.results} == {"float32", "float64"}
    assert all(r.steps == 40 and r.worst_ratio <= 1 for r in report.results)
    # not bitwise (the gradient is evaluated by different code): the bound does real work
    assert max(r.max_ulp for r in report.results) > 0
    assert "torch" in report.reference and report.as_dict()["reference"] == report.reference


def test_sam_reference_is_stated():
    report = verify_objective_rule("sam", steps=3, dtypes=("float64",))
    assert "two-pass torch loop" in report.reference
    assert "loss.backward() twice" in report.reference
    assert report.lines()[0].startswith("sam: generated step map vs a direct two-pass")
    assert json.loads(json.dumps(report.as_dict()))["passed"] is True


def test_sam_without_the_ascent_fails(monkeypatch):
    monkeypatch.setattr(sam, "ascent", lambda grads: tuple(sp.S.Zero for _ in grads))
    report = verify_objective_rule("sam", steps=10)
    assert not any(r.passed for r in report.results)
    assert all("step 1" in r.failure for r in report.results)


def test_sam_with_a_per_parameter_norm_fails(monkeypatch):
    """The norm is joint over all parameters; normalizing each parameter alone is wrong."""
    def per_parameter(grads):
        return tuple(sam.rho * g / (sp.sqrt(g**2) + sam.sam_eps) for g in grads)

    monkeypatch.setattr(sam, "ascent", per_parameter)
    assert not verify_objective_rule("sam", steps=10).passed


def test_minibatch_with_a_sum_instead_of_the_mean_fails():
    cfg = sgd_config(0.05)
    good = minibatch.step_map(4, cfg)
    summed = StepMap(good.params, good.inputs, good.hypers,
                     tuple(p + 4 * (e - p) for p, e in zip(good.params, good.exprs)))
    xs, ys = minibatch.regression_data(16, 0)
    index = minibatch.batches(16, 4, 20, 0)
    ref = minibatch.torch_loop(xs, ys, index, (0, 0), cfg, "float64")
    inputs = np.concatenate([xs[index], ys[index]], axis=1)
    assert check_step_map(good, ref, inputs, [0.05], "float64").passed
    assert not check_step_map(summed, ref, inputs, [0.05], "float64").passed


def test_gd_with_a_wrong_gradient_fails():
    objective = parse_objective("rosenbrock")
    cfg = sgd_config(1e-3)
    ref = torch_loop(objective, (-1.5, 2), cfg, 10, "float32")
    good = step_map(objective, cfg)
    halved = step_map(parse_objective("((1 - x)^2 + 100*(y - x^2)^2)/2"), cfg)
    assert check_step_map(good, ref, np.zeros((10, 0)), [1e-3], "float32").passed
    assert not check_step_map(halved, ref, np.zeros((10, 0)), [1e-3], "float32").passed


def test_exact_iterates_are_rational_and_match_torch():
    objective = parse_objective("booth")
    exact = exact_iterates(objective, (sp.Rational(-1), sp.Rational(1, 2)), "0.01", 6)
    assert all(v.is_Rational for point in exact for v in point)
    ref = torch_loop(objective, (-1.0, 0.5), sgd_config(0.01), 6, "float64")
    assert np.allclose(np.array(exact, dtype=float), ref, rtol=1e-13, atol=1e-13)
    # one step by hand: x1 = x0 - lr * grad f(x0)
    grad = objective.grad_at(exact[0])
    assert exact[1] == tuple(x - sp.Rational(1, 100) * d for x, d in zip(exact[0], grad))


def test_sampler_draws_without_replacement_within_an_epoch():
    index = minibatch.batches(10, 3, 9, seed=4)
    assert index.shape == (9, 3)
    for epoch in range(3):  # 3 batches per epoch; the 10th point waits for the next epoch
        seen = index[3 * epoch:3 * epoch + 3].ravel()
        assert len(set(seen)) == 9 and set(seen) <= set(range(10))
    assert not np.array_equal(index[:3], index[3:6])  # a fresh permutation per epoch
    assert np.array_equal(index, minibatch.batches(10, 3, 9, seed=4))


def test_minibatch_mean_gradient_is_the_batch_mean():
    cfg = sgd_config(1.0)
    step = minibatch.step_map(2, cfg)
    w, b = minibatch.PARAMS
    x1, x2, y1, y2 = step.inputs
    lr = next(iter(step.hypers))
    expected_w = w - lr * ((2 * x1 * (w * x1 + b - y1)) + (2 * x2 * (w * x2 + b - y2))) / 2
    assert sp.simplify(step.exprs[0] - expected_w) == 0


@pytest.mark.parametrize(("name", "options", "message"), [
    ("gd", {"lr": -1}, "Invalid learning rate: -1"),  # SGD's own parameter and message
    ("sam", {"rho": 0}, "rho must be a finite number > 0"),
    ("gd", {"objective": "x^2 + __import__"}, "is not a variable"),
    ("minibatch-sgd", {"batch_size": 2.5}, "expects an integer"),
    ("minibatch-sgd", {"batch_size": 20}, "batch_size must be between 1 and n"),
    ("sam", {"rho": "inf"}, "finite"),
    ("sam", {"momentum": 0.9}, "unknown option"),
    # torch cannot convert lr * grad to float32: one line, not a RuntimeError (review R7)
    ("gd", {"lr": 1e308}, "is not finite"),
    ("minibatch-sgd", {"lr": 1e308}, "is not finite"),
    ("sam", {"weight_decay": 1e308}, "is not finite"),
    ("nope", {}, "unknown rule over an objective"),
])
def test_bad_input_is_a_spec_error(name, options, message):
    with pytest.raises(SpecError, match=message):
        verify_objective_rule(name, steps=2, options=options)


def test_registry_and_options_parser():
    assert objective_rules.names() == ["gd", "minibatch-sgd", "sam", "newton"]
    from optsym.cli.options import UsageFailure, parse_spec_options

    sam = objective_rules.get("sam")
    assert parse_spec_options(sam, ("--rho", "0.1", "--x0=-1,2")) == {"rho": 0.1, "x0": "-1,2"}
    with pytest.raises(UsageFailure, match="did you mean"):
        parse_spec_options(sam, ("--rhoo", "0.1"))
    assert sam.config({"rho": "0.25", "n": 4.0}) == {**sam.defaults(), "rho": 0.25, "n": 4}
    entries = objective_rules.list_entries()
    assert [e["rule"] for e in entries] == ["gd", "minibatch-sgd", "sam", "newton"]
