"""A convention of the table races like a rule (``--rules nesterov@sutskever``): its own
equations, its own variables, the gradient at its own point; checked against the convention
written out by hand from its source (Sutskever et al. 2013, eq. 3-4), not against optsym."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from optsym.cli import cli
from optsym.dynamics.stepper import objective_stream, run_stream
from optsym.objective import parse_objective

F = "x^2 + 10*y^2"


def _grad(x: np.ndarray) -> np.ndarray:
    return np.array([2 * x[0], 20 * x[1]])


def test_sutskever_runs_its_own_equations_at_its_look_ahead_point():
    """v <- mu v - lr grad f(theta + mu v), theta <- theta + v, from v = 0."""
    lr, mu, steps = 0.03, 0.9, 40
    theta, v = np.array([-1.5, 2.0]), np.zeros(2)
    want = [theta.copy()]
    for _ in range(steps):
        v = mu * v - lr * _grad(theta + mu * v)
        theta = theta + v
        want.append(theta.copy())
    got = run_stream("nesterov@sutskever", {"lr": lr}, (-1.5, 2.0), steps,
                     objective_stream(parse_objective(F)))
    np.testing.assert_allclose(got, np.array(want), rtol=1e-12, atol=1e-15)
    torch_form = run_stream("nesterov", {"lr": lr}, (-1.5, 2.0), steps,
                            objective_stream(parse_objective(F)))
    assert np.max(np.abs(torch_form - got)) > 1e-3  # another convention, another path


def test_a_convention_that_is_torch_is_torch():
    """The table's torch convention (its textbook equations) and the rule's torch-order code:
    the same path up to rounding."""
    a = run_stream("nesterov@torch", {"lr": 0.03}, (-1.5, 2.0), 30,
                   objective_stream(parse_objective(F)))
    b = run_stream("nesterov", {"lr": 0.03}, (-1.5, 2.0), 30,
                   objective_stream(parse_objective(F)))
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_conventions_in_curves_race_and_sweep(tmp_path):
    run = CliRunner().invoke
    r = run(cli, ["plot", "curves", "--rules", "nesterov,nesterov@sutskever", "--f", F,
                  "--x0", "-1.5,2", "--lr", "0.03", "--steps", "20", "--json"])
    assert r.exit_code == 0, r.output
    assert "nesterov@sutskever" in r.output
    r = run(cli, ["plot", "race", "--rules", "nesterov@sutskever,adam@tensorflow", "--f", F,
                  "--start", "-1.5,2", "--steps", "20", "-o", str(tmp_path / "race.png")])
    assert r.exit_code == 0, r.output
    r = run(cli, ["plot", "sweep", "--rules", "nesterov@sutskever", "--f", F, "--x0", "-1.5,2",
                  "--lrs", "1e-3:1e-1:3", "--steps", "20"])
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("name, message", [("nesterov@nope", "unknown convention"),
                                           ("nope@sutskever", "unknown racer")])
def test_an_unknown_convention_is_a_usage_error(name, message):
    r = CliRunner().invoke(cli, ["plot", "curves", "--rules", name, "--steps", "3"])
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output
