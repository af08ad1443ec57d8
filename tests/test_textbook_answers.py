"""Textbook problems answered in one command, exactly (issue 14).

Each expected answer is worked out here by hand (or with Python's fractions), never copied from
optsym's output: the eigenvalues of [[6, 1], [1, 4]] from its trace 10 and determinant 23, GD's
iterates on (x - 3)^2 step by step, the clipped gradient from the norm 5 of (3, 4), the convex
worst case L/(4t + 2) from Drori & Teboulle's theorem.
"""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
import sympy as sp

from optsym.params import exact_number

SQRT2, SQRT23 = sp.sqrt(2), sp.sqrt(23)


def same(text: str, expected: sp.Expr) -> bool:
    """optsym's exact answer (a SymPy string) equals the hand-derived ``expected`` (to 60
    digits: an exact surd and a float cannot agree that far by accident)."""
    value = exact_number(text)  # the allow-list grammar, not sympify
    return value.free_symbols == set() and not value.has(sp.Float) \
        and abs(sp.N(value - expected, 80)) < sp.Rational(1, 10**60)


def derived(run_cli, *args: str) -> dict:
    result = run_cli("derive", *args, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    return {r["key"]: r for r in out["results"]} | {"_problem": out.get("problem")}


def one_line_error(run_cli, *args: str) -> str:
    result = run_cli(*args)
    assert result.exit_code == 2 and result.stdout == "", result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("optsym: error: "), result.stderr
    return lines[0]


# ---- 1. exact input in every numeric option ----------------------------------------------------
def test_fraction_learning_rate_gives_exact_gd_iterates(run_cli):
    # x_{t+1} = x_t - (1/10) * 2 (x_t - 3) = (4/5) x_t + 3/5 from x_0 = 0
    x = Fraction(0)
    for _ in range(3):
        x = x - Fraction(1, 10) * 2 * (x - 3)
    result = run_cli("example", "gd", "--f", "(x - 3)^2", "--lr", "1/10", "--steps", "3",
                     "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["hypers"]["lr"]["exact"] == "1/10"
    # closed form x_t = 3 (1 - (4/5)^t)
    assert Fraction(out["steps"][-1]["x"][0]) == x == 3 * (1 - Fraction(4, 5) ** 3)


def test_power_and_surd_inputs_stay_exact(run_cli):
    # 2^-10 = 1/1024; one step on x^2 from 1: 1 - 2/1024 = 511/512
    out = json.loads(run_cli("example", "gd", "--f", "x^2", "--x0", "1", "--lr", "2^-10",
                             "--steps", "1", "--json").stdout)
    assert Fraction(out["steps"][0]["x"][0]) == 1 - Fraction(2, 1024)
    # L = 5 + sqrt(2), mu = 5 - sqrt(2): the best GD step 2/(L + mu) is 2/10 exactly
    res = derived(run_cli, "gd-quadratic", "--L", "5+sqrt(2)", "--mu", "5-sqrt(2)")
    assert same(res["optimal_step"]["exact"], sp.Rational(1, 5))
    assert same(res["rate"]["exact"], 2 * SQRT2 / 10)


@pytest.mark.parametrize(("command", "text"), [
    (("example", "gd", "--f", "x^2", "--lr"), "x+1"),
    (("derive", "gd-quadratic", "--L"), "__import__('os')"),
    (("example", "gd", "--f", "x^2", "--lr"), "sqrt(-1)"),
])
def test_refused_numbers_are_one_line(run_cli, command, text):
    assert "expects a number" in one_line_error(run_cli, *command, text)


# ---- 2. derivations from the objective or the Hessian ------------------------------------------
# f = 3x^2 + xy + 2y^2 has H = [[6, 1], [1, 4]]: trace 10, determinant 23, so the eigenvalues
# are 5 +- sqrt(25 - 23); kappa = (5 + sqrt 2)/(5 - sqrt 2); 2/(mu + L) = 2/10;
# (kappa - 1)/(kappa + 1) = (L - mu)/(L + mu) = 2 sqrt(2)/10.
L_HAND, MU_HAND = 5 + SQRT2, 5 - SQRT2
CONDITION = {"L": L_HAND, "mu": MU_HAND, "kappa": L_HAND / MU_HAND, "stable_step": 2 / L_HAND,
             "optimal_step": sp.Rational(1, 5), "rate": SQRT2 / 5}


@pytest.mark.parametrize("problem", [("--f", "3*x^2 + x*y + 2*y^2"),
                                     ("--hessian", "[[6,1],[1,4]]")])
def test_condition_number_from_the_problem(run_cli, problem):
    res = derived(run_cli, "condition-number", *problem)
    for key, expected in CONDITION.items():
        assert same(res[key]["exact"], expected), (key, res[key]["exact"])
        assert res[key]["value"] == pytest.approx(float(expected), rel=1e-12)
    assert any("[[6, 1], [1, 4]]" in line for line in res["_problem"])


def test_condition_number_text_prints_the_answer_and_warns_about_abc(run_cli):
    out = run_cli("derive", "condition-number", "--hessian", "[[6,1],[1,4]]").stdout
    answer = out[out.index("\nanswer:"):]
    assert "1/5 = 0.2" in answer and "sqrt(2)/5" in answer
    warned = run_cli("derive", "condition-number", "--a", "3", "--b", "1", "--c", "2")
    assert "Hessian's entries" in warned.stderr


def test_heavy_ball_tuning_from_the_hessian(run_cli):
    # Polyak: eta* = 4/(sqrt L + sqrt mu)^2 with (sqrt L + sqrt mu)^2 = L + mu + 2 sqrt(L mu)
    # = 10 + 2 sqrt(23); beta* = ((sqrt L - sqrt mu)/(sqrt L + sqrt mu))^2 = (10 - 2 sqrt 23)
    # / (10 + 2 sqrt 23) = (5 - sqrt 23)^2/(25 - 23) ... = 24 - 5 sqrt(23)
    res = derived(run_cli, "heavy-ball", "--hessian", "[[6,1],[1,4]]")
    assert same(res["eta_opt"]["exact"], 4 / (10 + 2 * SQRT23))
    assert same(res["beta_opt"]["exact"], 24 - 5 * SQRT23)
    assert same(res["rate_opt"]["exact"], sp.sqrt(24 - 5 * SQRT23))


def test_nesterov_tuning_from_the_objective(run_cli):
    # eta = 1/L, rate 1 - sqrt(mu/L) with mu/L = (5 - sqrt 2)^2/23
    res = derived(run_cli, "nesterov", "--f", "3*x^2 + x*y + 2*y^2")
    assert same(res["eta"]["exact"], 1 / L_HAND)
    assert same(res["rate"]["exact"], 1 - (5 - SQRT2) / SQRT23)


@pytest.mark.parametrize(("args", "message"), [
    (("--f", "x^4 + y^2"), "not a quadratic"),
    (("--f", "x*y"), "not positive definite"),
    (("--hessian", "[[1,2],[3,4]]"), "not symmetric"),
    (("--f", "x^2 + y^2", "--a", "2"), "set by the problem"),
])
def test_bad_problems_are_one_line(run_cli, args, message):
    assert message in one_line_error(run_cli, "derive", "condition-number", *args)


# ---- 3. clipping a given gradient ---------------------------------------------------------------
def clipped(run_cli, *args: str) -> dict:
    result = run_cli("clip", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_clip_norm_of_a_given_gradient(run_cli):
    # ||(3, 4)|| = 5 > 1: g/5; torch divides by 5 + 1e-6
    out = clipped(run_cli, "norm", "--g", "3,4", "--threshold", "1")
    assert [Fraction(v) for v in out["clipped"]] == [Fraction(3, 5), Fraction(4, 5)]
    eps_norm = 5 + Fraction(1, 10**6)
    assert [Fraction(v) for v in out["torch_exact"]] == [3 / eps_norm, 4 / eps_norm]
    assert out["torch_float64"] == pytest.approx([3 / 5.000001, 4 / 5.000001], rel=1e-15)
    # below the threshold nothing changes: ||(0.3, 0.4)|| = 1/2
    out = clipped(run_cli, "norm", "--g", "0.3,0.4", "--threshold", "1")
    assert out["active"] is False and out["clipped"] == ["3/10", "2/5"]


def test_clip_value_of_a_given_gradient(run_cli):
    out = clipped(run_cli, "value", "--g", "3,-0.5,0.2", "--threshold", "1/4")
    assert [Fraction(v) for v in out["clipped"]] == [Fraction(1, 4), Fraction(-1, 4),
                                                     Fraction(1, 5)]
    assert out["torch_float64"] == [0.25, -0.25, 0.2]


# ---- 4. worst cases in the textbook's and PEPit's quantities -----------------------------------
def smooth_convex(*options: str) -> dict:
    """smooth-convex-gd's exact results, options read by the command line's parser (without
    the cross-checks, which run PEPit's SDPs in test_derivation_smooth_convex_gd.py)."""
    from optsym.cli.options import load_derivation, parse_params

    spec = load_derivation("smooth-convex-gd")
    return spec.exact_results(spec.config(parse_params(spec, options)))


def test_squared_distance_ratio_and_gap_per_L():
    # L = 2, mu = 1/2, eta = 1/2: rho = max(|1 - 1/4|, |1 - 1|) = 3/4; t = 3 steps
    res = smooth_convex("--L", "2", "--mu", "1/2", "--eta", "1/2", "--t", "3")
    assert res["contraction_factor"] == sp.Rational(3, 4)
    assert res["distance_ratio"] == sp.Rational(3, 4) ** 3
    assert res["distance_ratio_squared"] == sp.Rational(3, 4) ** 6 == sp.Rational(729, 4096)
    # Drori & Teboulle: (f(x_t) - f*) <= L ||x_0 - x*||^2/(4t + 2); per L: 1/14; classical 1/(2t)
    assert res["convex_tight_per_L"] == sp.Rational(1, 4 * 3 + 2)
    assert res["convex_classical_per_L"] == sp.Rational(1, 2 * 3)
    assert res["convex_tight"] == sp.Rational(2, 14)


def test_mu_zero_is_plain_convex():
    # mu = 0: |1 - eta * 0| = 1, so no contraction; the O(1/t) results are unchanged
    res = smooth_convex("--mu", "0", "--eta", "1/2", "--t", "5")
    assert res["contraction_factor"] == 1 and res["distance_ratio_squared"] == 1
    assert res["convex_tight_per_L"] == sp.Rational(1, 22)


# ---- 5. worked examples in any convention -------------------------------------------------------
def test_nesterov_in_sutskevers_form_and_torchs(run_cli):
    # f = x^2 (g = 2x) from 1, lr 1/10, momentum 9/10, two steps of each form by hand
    lr, mu = Fraction(1, 10), Fraction(9, 10)
    theta, b = Fraction(1), Fraction(0)  # torch: b = mu b + g; theta -= lr (g + mu b)
    for _ in range(2):
        grad = 2 * theta
        b = mu * b + grad
        theta -= lr * (grad + mu * b)
    look, v = Fraction(1), Fraction(0)  # Sutskever: v = mu v - lr g(theta + mu v); theta += v
    for _ in range(2):
        v = mu * v - lr * 2 * (look + mu * v)
        look += v
    assert (theta, look) == (Fraction(139, 625), Fraction(62, 125))  # the numbers
    assert look + mu * v == theta  # torch's parameter is the look-ahead point
    base = ("example", "nesterov", "--f", "x^2", "--x0", "1", "--lr", "1/10", "--steps", "2")
    sutskever = json.loads(run_cli(*base, "--convention", "sutskever", "--json").stdout)
    torch = json.loads(run_cli(*base, "--json").stdout)
    assert Fraction(sutskever["steps"][-1]["x"][0]) == look
    assert Fraction(torch["steps"][-1]["x"][0]) == theta
    assert sutskever["checked"] and all(c["passed"] for c in sutskever["checks"])
    assert "yes" in sutskever["checks"][1]["detail"]


def test_unknown_convention_is_one_line(run_cli):
    assert "unknown convention" in one_line_error(run_cli, "example", "adam", "--f", "x^2",
                                                  "--convention", "nope")


def test_derivation_gives_numbers_at_the_defaults(run_cli):
    # ema's default momentum is 9/10: the window 1/(1 - 9/10) = 10, without --check
    out = json.loads(run_cli("derive", "ema", "--json").stdout)
    assert out["params"]["mu"] == 0.9 and "cross_checks" not in out
    window = next(r for r in out["results"] if r["key"] == "window")
    assert window["exact"] == "10" and window["value"] == pytest.approx(10, rel=1e-12)
