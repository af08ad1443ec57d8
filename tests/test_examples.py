"""Worked examples: exact iterates against hand arithmetic (fractions), torch.optim, and
optsym's generated code; every rule; a mutation that the check must catch; LaTeX compiles."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
import torch

from optsym import rules
from optsym.derivation import document
from optsym.examples import method_names, worked_example
from optsym.objective import ObjectiveError, parse_objective
from optsym.spec import SpecError


def _fractions(values) -> list[Fraction]:
    return [Fraction(int(sp.Rational(v).p), int(sp.Rational(v).q)) for v in values]


def test_gd_done_when_exact_by_hand():
    ex = worked_example("gd", parse_objective("(x - 3)**2"), ["0"], {"lr": "0.1"}, 2)
    # by hand: x <- x - lr * 2 (x - 3), f = (x - 3)^2, in exact fractions
    lr, x = Fraction(1, 10), Fraction(0)
    xs, fs = [x], [(x - 3) ** 2]
    for _ in range(2):
        x = x - lr * 2 * (x - 3)
        xs.append(x)
        fs.append((x - 3) ** 2)
    assert xs[1:] == [Fraction(3, 5), Fraction(27, 25)]
    assert _fractions(v[0] for v in ex.iterates) == xs
    assert _fractions(ex.values) == fs
    assert ex.checked and ex.exact_steps == 2
    text = ex.as_text()
    assert "27/25" in text and "0.1000000000000000055511151231257827" in text


def test_momentum_matches_torch_sgd_float64():
    f = parse_objective("x**2 + 10*y**2")
    ex = worked_example("momentum", f, ["1", "1"], {"lr": "0.05", "momentum": "0.9"}, 3)
    p = torch.tensor([1.0, 1.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.05, momentum=0.9)
    theirs = [p.detach().numpy().copy()]
    for _ in range(3):
        opt.zero_grad()
        (p[0] ** 2 + 10 * p[1] ** 2).backward()
        opt.step()
        theirs.append(p.detach().numpy().copy())
    ours = np.array([[float(v) for v in x] for x in ex.iterates])
    np.testing.assert_allclose(ours, np.array(theirs), rtol=1e-14, atol=1e-15)
    # the exact iterates are rationals; the second coordinate is exactly 0 after step 1
    assert ex.iterates[1] == (sp.Rational(9, 10), 0)
    assert all(isinstance(v, sp.Rational) for x in ex.iterates for v in x)


def test_adam_constant_gradient_matches_torch_adam():
    ex = worked_example("adam", None, None, {}, 3, grad=["0.5"])
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p])
    theirs = [0.0]
    for _ in range(3):
        p.grad = torch.full_like(p, 0.5)
        opt.step()
        theirs.append(float(p.detach()[0]))
    ours = [float(x[0]) for x in ex.iterates]
    np.testing.assert_allclose(ours, theirs, rtol=1e-13)
    # the first step: bias correction gives m_hat = g, v_hat = g^2, update -lr g / (|g| + eps)
    first = {str(u.target): u for u in ex.records[0].updates}
    assert first["m_hat"].results == [sp.Rational(1, 2)]
    assert first["v_hat"].results == [sp.Rational(1, 4)]
    lr, g, eps = Fraction(1, 1000), Fraction(1, 2), Fraction(1, 10**8)
    assert _fractions(ex.iterates[1]) == [-lr * g / (abs(g) + eps)]
    assert "= g exactly" in ex.as_text() and "= g^2 exactly" in ex.as_text()


@pytest.fixture(scope="module")
def every_method():
    """Each method (aliases and every registered rule) on the narrow valley, two steps."""
    return {name: worked_example(name, parse_objective("narrow-valley"), ["1", "-0.5"],
                                 {"lr": "0.01"}, 2)
            for name in method_names()}


def test_every_method_runs_and_is_checked(every_method):
    assert set(every_method) >= {"gd", "momentum", "nesterov", "sgd", "adam", "rmsprop"}
    for name, ex in every_method.items():
        assert ex.checked, ex.as_text()
        assert len(ex.iterates) == 3 and len(ex.values) == 3, name
        assert ex.generated and np.all(np.isfinite(ex.generated[-1])), name


def test_every_method_one_step_from_the_exact_state(every_method):
    """The generated code, started at each step from the exact iterate and state, gives the
    next exact iterate (the fallback check when a free float64 run parts from the exact one)."""
    from optsym.examples.checks import tolerance_for
    from optsym.trajectory import one_step_generated

    for name, ex in every_method.items():
        starts = [(ex.iterates[k - 1], ex.state_history[k - 1], ex.records[k - 1].grad)
                  for k in range(1, ex.steps + 1)]
        single = one_step_generated(ex.rule.name, ex.config, starts)
        exact = np.array([[float(v) for v in x] for x in ex.iterates[1:]])
        tol = tolerance_for(ex.rule, ex.config)[0]
        assert np.all(np.abs(np.array(single) - exact) <= tol * np.maximum(1, np.abs(exact))), \
            (name, single, exact)


def test_a_kink_crossed_by_rounding_is_explained():
    """|x| from 0.3 with lr 0.1: exactly 0 after 3 steps (then sign(0) = 0 keeps it there);
    float64 lands at 2.8e-17 and steps on.  Each step agrees; the free run does not."""
    ex = worked_example("gd", parse_objective("abs(x)"), ["0.3"], {"lr": "0.1"}, 5)
    assert [x[0] for x in ex.iterates] == [sp.Rational(3, 10), sp.Rational(1, 5),
                                           sp.Rational(1, 10), 0, 0, 0]
    assert abs(ex.generated[4][0]) > 0.05  # the float64 run went on past the kink
    check = [c for c in ex.checks if c.kind == "check"][0]
    assert check.passed and "each exact step" in check.description
    assert "kink" in check.detail


@pytest.mark.skipif(shutil.which("pdflatex") is None,
                    reason="pdflatex is not installed (CI installs it: .ci/latex)")
def test_every_method_latex_compiles(every_method, tmp_path):
    body = []
    for ex in every_method.values():
        body += [ex.as_latex(), "\\[" + ex._repr_latex_().strip("$") + "\\]"]
    _compile(tmp_path, "\n\n".join(body))


def test_mutated_rule_fails_the_check(monkeypatch):
    """A wrong textbook formula (Adam without the first bias correction) must fail the check
    against the generated code (which comes from the untouched implementation form)."""
    adam = rules.get("adam")

    def wrong(cfg):
        out = []
        for eq in adam.textbook(cfg):
            if str(eq.target) == "m_hat":
                eq = dataclasses.replace(eq, expr=eq.expr * (1 - sp.Symbol("beta1",
                                                                             real=True,
                                                                             nonnegative=True)
                                                             ** sp.Symbol("t", positive=True,
                                                                          integer=True)))
            out.append(eq)
        return tuple(out)

    broken = dataclasses.replace(adam, textbook=wrong)
    real_get = rules.get
    monkeypatch.setattr(rules, "get", lambda name: broken if name == "adam" else real_get(name))
    ex = worked_example("adam", parse_objective("bowl"), ["1", "1"], {"lr": "0.1"}, 2)
    assert not ex.checked
    assert any(c.kind == "check" and not c.passed for c in ex.checks)
    monkeypatch.setattr(rules, "get", real_get)
    assert worked_example("adam", parse_objective("bowl"), ["1", "1"], {"lr": "0.1"}, 2).checked


def test_divergence_is_reported_honestly():
    ex = worked_example("gd", parse_objective("x^2"), ["1"], {"lr": "1.5"}, 3)
    # by hand: x <- x - 1.5 * 2x = -2x
    assert [x[0] for x in ex.iterates] == [1, -2, 4, -8]
    decrease = [c for c in ex.checks if c.kind == "observation"][0]
    assert not decrease.passed and "too large" in decrease.detail
    assert ex.checked  # the generated code agrees: the arithmetic is right, the method diverges
    assert "[no] the objective decreases" in ex.as_text()


def test_divergence_stops_early():
    ex = worked_example("gd", parse_objective("x^2"), ["1"], {"lr": "10"}, 20)
    assert ex.diverged_at is not None and ex.steps == ex.diverged_at < 20


def test_exact_budget_switches_to_floats_and_says_so():
    ex = worked_example("gd", parse_objective("rosenbrock"), ["-1.2", "1"], {"lr": "0.001"}, 4)
    assert ex.exact_steps < 4
    assert any("exact arithmetic through step" in n for n in ex.notes)
    assert ex.checked


def test_surds_are_exact_and_shown_with_decimals():
    ex = worked_example("rmsprop", parse_objective("x^2"), ["1"], {"lr": "0.01"}, 1)
    # step 1: v = (1 - alpha) g^2 = g^2/100, avg = sqrt(v) + eps = 2/10 + 1e-8: exact rationals
    updates = {str(u.target): u for u in ex.records[0].updates}
    assert updates["square_avg"].results == [sp.Rational(4, 100)]
    assert updates["avg"].results == [sp.Rational(1, 5) + sp.Rational(1, 10**8)]
    ex2 = worked_example("adadelta", parse_objective("x^2"), ["1"], {}, 1)
    delta = {str(u.target): u for u in ex2.records[0].updates}["delta"].results[0]
    assert delta.has(sp.Pow) and not delta.has(sp.Float)  # a surd, kept exact
    assert "(" in ex2.as_text()


def test_bad_inputs_raise_one_line_errors():
    f = parse_objective("x^2 + y^2")
    with pytest.raises(ObjectiveError, match="x0 has 1 coordinate"):
        worked_example("gd", f, ["1"], {}, 1)
    with pytest.raises(SpecError, match="between 1 and 50"):
        worked_example("gd", f, ["1", "1"], {}, 51)
    with pytest.raises(SpecError, match="unknown method"):
        worked_example("gdd", f, ["1", "1"], {}, 1)
    with pytest.raises(SpecError, match="Invalid learning rate"):
        worked_example("adam", f, ["1", "1"], {"lr": "-1"}, 1)
    with pytest.raises(SpecError, match="fixes --momentum"):
        worked_example("gd", f, ["1", "1"], {"momentum": "0.9"}, 1)
    with pytest.raises(ObjectiveError, match="not a finite real"):
        worked_example("gd", parse_objective("sqrt(x)"), ["-1"], {}, 1)
    with pytest.raises(ObjectiveError, match=r"not a finite real number in float64 at \(0\)"):
        worked_example("gd", parse_objective("1/x"), ["0"], {}, 1)
    # overflow is refused before SymPy is asked for exp(exp(1000)) exactly
    with pytest.raises(ObjectiveError, match="in float64 at"):
        worked_example("gd", parse_objective("exp(exp(x))"), ["1000"], {}, 1)


def test_json_and_jupyter_forms():
    ex = worked_example("nesterov", parse_objective("bowl"), ["1", "2"], {"lr": "0.1"}, 2)
    d = ex.as_dict()
    assert d["rule"] == "sgd" and d["flags"]["nesterov"] is True
    assert d["hypers"]["momentum"]["exact"] == "9/10"
    assert len(d["steps"]) == 2 and d["checked"] is True
    latex = ex._repr_latex_()
    assert latex.startswith("$$\\begin{aligned}") and latex.endswith("\\end{aligned}$$")


LATEX_CASES = [
    ("gd", "(x - 3)**2", ["0"], {"lr": "0.1"}, 2, None),
    ("momentum", "narrow-valley", ["1", "1"], {"lr": "0.05"}, 3, None),
    ("adam", None, None, {}, 1, ["0.5"]),
    ("adadelta", "rosenbrock", ["-1.2", "1"], {}, 2, None),
]


@pytest.mark.skipif(shutil.which("pdflatex") is None,
                    reason="pdflatex is not installed (CI installs it: .ci/latex)")
def test_latex_compiles(tmp_path):
    body = []
    for method, f, x0, hypers, steps, grad in LATEX_CASES:
        obj = parse_objective(f) if f else None
        ex = worked_example(method, obj, x0, hypers, steps, grad)
        body.append(ex.as_latex())
        body.append("\\[" + ex._repr_latex_().strip("$") + "\\]")
    _compile(tmp_path, "\n\n".join(body))


def _compile(tmp_path, body: str) -> None:
    tex = tmp_path / "e.tex"
    tex.write_text(document(body, "worked examples"))
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    log = (tmp_path / "e.log").read_text(errors="replace")
    assert "Undefined control sequence" not in log and "Missing $ inserted" not in log


def test_run_generated_targets_and_aliases():
    from optsym.trajectory import run_generated

    f = parse_objective("(x - 3)**2")
    # by hand in float64: x <- x - 0.1 * 2 (x - 3)
    x, hand = 0.0, [0.0]
    for _ in range(3):
        x = x - 0.1 * (2 * (x - 3))
        hand.append(x)
    for target in ("torch-parity", "torch", "numpy"):
        path = run_generated("sgd", {"lr": 0.1}, f, [0], 3, target=target)
        np.testing.assert_allclose([p[0] for p in path], hand, rtol=1e-15, atol=1e-15)
    gd = run_generated("gd", {"lr": 0.1}, f, [0], 3)
    assert [p[0] for p in gd] == [p[0] for p in run_generated("sgd", {"lr": 0.1}, f, [0], 3)]
    # a constant gradient, broadcast over the coordinates
    flat = run_generated("sgd", {"lr": 0.5}, None, [1, 2], 2, constant_grad=[1])
    np.testing.assert_array_equal(flat[-1], [0.0, 1.0])
    with pytest.raises(SpecError):
        run_generated("sgd", {"lr": 0.1}, None, [0], 1)


# ---- regressions from review R5 -----------------------------------------------------------------
def test_numbers_put_in_follow_the_formula_without_clutter():
    """The formula with numbers reads in the formula's own order (mu*b + g, not g*(1 - 0) +
    mu*b), drops a zero dampening's ``(1 - 0)``, shows a bare value without parentheses, and
    puts a dot between two numbers in LaTeX (``-(-6) 1/10`` reads like a mixed number)."""
    f = parse_objective("x**2 + 10*y**2")
    ex = worked_example("momentum", f, ["1", "1"], {"lr": "0.05", "momentum": "0.9"}, 2)
    buffer = {str(u.target): u for u in ex.records[1].updates}["momentum_buffer"]
    assert buffer.shown[0][0] == "(9/10)*2 + (9/5)"  # mu b_1 + g_2, by hand: 9/10*2 + 9/5
    assert buffer.results[0] == sp.Rational(9, 10) * 2 + sp.Rational(9, 5)
    text, tex = ex.as_text(), ex.as_latex()
    assert "(1 - 0)" not in text and r"\left(1 - 0\right)" not in tex
    # torch's step-1 case reads as branches, not as SymPy's Piecewise((grad, Eq(t, 1)), ...)
    assert "Piecewise" not in text and "momentum_buffer <- grad if t = 1; " in text
    rprop = worked_example("rprop", parse_objective("x**2 - y"), ["1", "1"], {}, 2).as_text()
    assert "Piecewise" not in rprop and "etaplus*step_size if grad*prev > 0; " in rprop
    gd = worked_example("gd", parse_objective("(x - 3)**2"), ["0"], {"lr": "0.1"}, 1)
    direction, param = gd.records[0].updates
    assert direction.shown[0] == ("-6", "-6")
    # LaTeX in reading order, as the formula line theta <- theta - eta d above it
    assert param.shown[0][1] == r"0 - \frac{1}{10} \cdot \left(-6\right)"
    assert "d &= g = -6" in gd.as_latex() and "(-6) = -6" not in gd.as_latex()
    adam = worked_example("adam", None, None, {}, 1, grad=["0.5"])
    assert "sqrt(1/4)" in adam.as_text() and "sqrt((1/4))" not in adam.as_text()
    assert "by up to 0)" not in adam.as_text()  # it lands on the nearest doubles: say so
    assert float(adam.generated[1][0]) == float(adam.iterates[1][0])
    assert "lands on the doubles nearest the exact iterates" in adam.as_text()


def test_check_is_relative_to_the_distance_moved(monkeypatch):
    """Adam without eps moves x by 2e-11 less than Adam at lr = 1e-3, g = 1/2: far below
    1e-9 * max(1, |x|) (the old tolerance let it through), 20 times the allowance relative to
    the step.  The real rule still passes, and so does a long free run."""
    adam = rules.get("adam")
    eps = [h.symbol for h in adam.hypers if h.name == "eps"][0]

    def no_eps(cfg):
        return tuple(dataclasses.replace(eq, expr=eq.expr.xreplace({eps: 0}))
                     for eq in adam.textbook(cfg))

    broken = dataclasses.replace(adam, textbook=no_eps)
    real_get = rules.get
    monkeypatch.setattr(rules, "get", lambda name: broken if name == "adam" else real_get(name))
    ex = worked_example("adam", None, None, {}, 1, grad=["0.5"])
    assert ex.iterates[1][0] == sp.Rational(-1, 1000)  # -lr * sign(g): eps is gone
    assert not ex.checked
    monkeypatch.setattr(rules, "get", real_get)
    assert worked_example("adam", None, None, {}, 1, grad=["0.5"]).checked
    assert worked_example("adam", parse_objective("rosenbrock"), ["-1.2", "1"],
                          {"lr": "0.01"}, 30).checked


def test_divergence_that_overflows_f_is_reported_not_refused():
    """x^100 from 1000 with lr 1e-3: x_1 = 1000 - 0.1 * 1000^99 = -1e296, where f = x^100
    overflows float64.  The run stops there as diverged (it is not the user's input error)."""
    ex = worked_example("gd", parse_objective("x**100"), ["1000"], {"lr": "0.001"}, 3)
    assert ex.diverged_at == 1 and ex.steps == 1
    by_hand = 1000 - sp.Rational(1, 1000) * 100 * sp.Integer(1000) ** 99  # x - lr f'(x)
    assert abs(ex.iterates[1][0] / by_hand - 1) < 1e-40  # a 50-digit float past 60 digits
    assert ex.records[0].value is None and len(ex.values) == 1
    decrease = [c for c in ex.checks if c.kind == "observation"][0]
    assert not decrease.passed and "overflows" in decrease.detail
    assert any("overflows float64" in n for n in ex.notes)
    assert ex.as_text() and ex.as_latex() and ex.as_dict()["steps"][0]["f"] is None


def test_a_large_start_is_not_divergence():
    """x^2 from 10^7 with lr 0.1 contracts (x_t = 0.8^t 10^7); |x| > 10^6 is not divergence
    when the start is larger still."""
    ex = worked_example("gd", parse_objective("x**2"), ["1e7"], {"lr": "0.1"}, 3)
    assert ex.diverged_at is None and ex.steps == 3
    assert [x[0] for x in ex.iterates] == [sp.Rational(4, 5) ** k * 10**7 for k in range(4)]
