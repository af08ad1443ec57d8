"""Newton's method over an objective: against torch's hessian + linalg.solve, with mutations,
and the newton-saddle claim against torch on the same problem."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
import torch
from click.testing import CliRunner

from optsym import newton
from optsym.cli import cli
from optsym.dynamics import claims_newton as cn
from optsym.objective import parse_objective
from optsym.objective_rules import verify_objective_rule
from optsym.spec import SpecError


@pytest.mark.parametrize("options", [
    {},
    {"objective": "himmelblau", "x0": "0,0", "lr": 0.5, "damping": 2.0},
    {"objective": "beale", "x0": "1,1", "lr": 0.3, "damping": 0.5},
    {"objective": "x^4 + y^2 + x*y*z + z^2", "x0": "1,2,-1", "lr": 0.8},
])
def test_verify_passes_against_torch_hessian_solve(options):
    report = verify_objective_rule("newton", steps=20, options=options)
    assert report.passed, report.lines()
    assert {r.dtype for r in report.results} == {"float32", "float64"}
    assert "linalg.solve" in report.reference


def test_rosenbrock_is_not_bitwise_so_the_bound_works():
    report = verify_objective_rule("newton", steps=20)
    assert report.passed and max(r.max_ulp for r in report.results) > 0


def test_pure_newton_solves_a_quadratic_in_one_step_exactly():
    obj = parse_objective("(x - 3)^2 + 10*(y + 1)^2 + x*y")
    # the critical point by hand: 2(x - 3) + y = 0, 20(y + 1) + x = 0
    crit = sp.solve([2 * (sp.Symbol("x") - 3) + sp.Symbol("y"),
                     20 * (sp.Symbol("y") + 1) + sp.Symbol("x")], dict=True)[0]
    path = newton.exact_iterates(obj, (sp.Rational(-7, 2), 5), lr=1, steps=1)
    assert path[1] == (crit[sp.Symbol("x")], crit[sp.Symbol("y")])


def _diagonal_direction(objective, mu=newton.damping):
    """Mutation: the Hessian's off-diagonal entries dropped (a diagonal 'Newton')."""
    H = sp.hessian(objective.expr, objective.variables)
    return tuple(gj / (H[j, j] + mu) for j, gj in enumerate(objective.gradient()))


def _no_solve_direction(objective, mu=newton.damping):
    """Mutation: the gradient without the solve (GD at lr)."""
    return objective.gradient()


@pytest.mark.parametrize("mutant", [_diagonal_direction, _no_solve_direction])
def test_mutated_solve_fails_at_step_1(monkeypatch, mutant):
    monkeypatch.setattr(newton, "direction", mutant)
    report = verify_objective_rule("newton", steps=5)
    assert not any(r.passed for r in report.results)
    assert all("step 1" in r.failure for r in report.results)


def test_damping_with_the_wrong_sign_fails(monkeypatch):
    real = newton.damped_hessian
    monkeypatch.setattr(newton, "damped_hessian", lambda obj, mu=newton.damping: real(obj, -mu))
    assert not verify_objective_rule("newton", steps=5,
                                     options={"objective": "himmelblau", "x0": "0,0",
                                              "damping": 2.0}).passed


def test_singular_hessian_is_one_line():
    with pytest.raises(SpecError, match="singular at step 1"):
        verify_objective_rule("newton", options={"objective": "x^4 + y^2", "x0": "0,1"})
    with pytest.raises(SpecError, match="singular everywhere"):
        verify_objective_rule("newton", options={"objective": "x + y", "x0": "0,1"})
    res = CliRunner().invoke(cli, ["verify", "newton", "--objective", "x^4 + y^2", "--x0",
                                   "0,1"])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert res.output.count("\n") == 1 and "--damping" in res.output
    # damping makes the same start solvable
    assert verify_objective_rule("newton", steps=5, options={
        "objective": "x^4 + y^2", "x0": "0,1", "damping": 0.1}).passed


def test_cli_verify_newton():
    res = CliRunner().invoke(cli, ["verify", "newton", "--objective", "narrow-valley", "--x0",
                                   "2,1", "--steps", "3"])
    assert res.exit_code == 0, res.output
    assert "newton: 2/2 checks passed" in res.output
    res = CliRunner().invoke(cli, ["verify", "newton", "--damping", "-1"])
    assert res.exit_code == 2 and "damping must be" in res.output


# ---- the claim ---------------------------------------------------------------------------------
def _saddle(v):
    return v[0] ** 2 / 2 + v[1] ** 4 / 4 - v[1] ** 2 / 2


def test_newton_saddle_holds_and_matches_torch():
    claim = cn.newton_saddle()
    assert claim.holds, claim.measured
    m = claim.measured
    obj = parse_objective(cn.SADDLE)
    # Newton: torch's hessian + solve on the same start
    ref = newton.torch_loop(obj, (1.0, 0.3), 1.0, 0.0, 4, "float64")
    assert np.allclose(ref[:, 1], m["newton_y"][:5], rtol=1e-12, atol=1e-300)
    # GD: torch.optim.SGD from the same start leaves at the same step
    p = torch.tensor([1.0, 0.3], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    path = [p.detach().numpy().copy()]
    for _ in range(200):
        opt.zero_grad()
        _saddle(p).backward()
        opt.step()
        path.append(p.detach().numpy().copy())
    from optsym.dynamics.claims_saddle import escape_step

    assert escape_step(np.array(path)) == m["gd_escape_step"]
    assert m["outside_end"][1] == -1.0


def test_newton_saddle_mutations_fail():
    # damping above the negative curvature: the saddle repels, Newton leaves
    assert not cn.newton_saddle(mu=2.0).holds
    # the "outside" start inside the basin: Newton goes to the saddle, not a minimum
    assert not cn.newton_saddle(outside=0.4).holds
    # reversed numbers: GD staying, or the end point a minimum (positive curvature)
    m = cn.newton_saddle().measured
    args = (m["newton_distance_to_saddle"], m["newton_grad_norm"],
            m["newton_end_curvature_yy"], m["gd_escape_step"], m["derived_gap"],
            abs(m["outside_end"][1]))
    assert cn.check_newton_saddle(*args)
    assert not cn.check_newton_saddle(*args[:3], None, *args[4:])
    assert not cn.check_newton_saddle(args[0], args[1], 2.0, *args[3:])
    assert not cn.check_newton_saddle(*args[:4], 1e-3, args[5])


def test_exact_rosenbrock_iterates_match_torch():
    """Exact rational iterates of the map against torch's float64 hessian + solve path:
    Newton reaches (1, 1) in 6 steps from (-1.5, 2)."""
    from optsym.objective import builtin

    obj = builtin("rosenbrock")
    exact = newton.exact_iterates(obj, (sp.Rational(-3, 2), 2), lr=1, steps=6)
    assert exact[1] == (sp.Rational(-74, 51), sp.Rational(143, 68))
    ref = newton.torch_loop(obj, (-1.5, 2.0), 1.0, 0.0, 6, "float64")
    assert np.allclose(np.array(exact, dtype=float), ref, rtol=1e-10, atol=1e-12)
    assert np.allclose(ref[-1], (1.0, 1.0), atol=2e-7)
