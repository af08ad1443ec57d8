"""``optsym example``: the issue's commands, JSON, LaTeX that compiles, and one-line errors."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from fractions import Fraction

import pytest
import sympy as sp

from optsym import rules


def test_done_when_gd_json_exact(run_json):
    code, out = run_json("example", "gd", "--f", "(x - 3)**2", "--x0", "0", "--lr", "0.1",
                         "--steps", "2")
    assert code == 0
    # by hand, in fractions: x1 = 0 - 1/10 * 2(0 - 3), x2 = x1 - 1/10 * 2(x1 - 3)
    x1 = Fraction(0) - Fraction(1, 10) * 2 * (0 - 3)
    x2 = x1 - Fraction(1, 10) * 2 * (x1 - 3)
    assert (x1, x2) == (Fraction(3, 5), Fraction(27, 25))
    assert out["iterates"] == [["0"], ["3/5"], ["27/25"]]
    assert [Fraction(v) for v in out["values"]] == [Fraction(9), (x1 - 3) ** 2, (x2 - 3) ** 2]
    assert out["values"][1] == "144/25"
    assert out["hypers"]["lr"] == {"exact": "1/10", "float": 0.1, "float64_exact": False}
    assert out["checked"] is True
    assert out["steps"][0]["grad"] == ["-6"]
    assert out["steps"][1]["f"] == out["values"][2]


def test_issue_commands_run(run_cli):
    r = run_cli("example", "gd", "--f", "x**2 + 10*y**2", "--x0", "1,1", "--lr", "0.05",
                "--steps", "3", "--format", "latex")
    assert r.exit_code == 0 and r.stdout.startswith("\\subsection*")
    r = run_cli("example", "momentum", "--f", "x**2 + 10*y**2", "--x0", "1,1", "--lr", "0.05",
                "--momentum", "0.9", "--steps", "3")
    assert r.exit_code == 0
    assert "x_3: x = 243/500" in r.stdout  # by hand: see test_examples (torch.optim.SGD agrees)
    r = run_cli("example", "adam", "--g", "0.5", "--steps", "1")
    assert r.exit_code == 0
    assert "m_hat" in r.stdout and "= g exactly" in r.stdout and "= g^2 exactly" in r.stdout
    assert "change -lr*g/(|g| + eps) exactly" in r.stdout
    lr, g, eps = Fraction(1, 1000), Fraction(1, 2), Fraction(1, 10**8)  # torch's defaults
    assert f"x_1 = {-lr * g / (abs(g) + eps)} " in r.stdout  # by hand: -lr g / (|g| + eps)
    r = run_cli("example", "rmsprop", "--f", "rosenbrock", "--x0", "-1.2,1", "--steps", "2")
    assert r.exit_code == 0 and "Rosenbrock" in r.stdout


def test_list(run_cli, run_json):
    r = run_cli("example", "--list")
    assert r.exit_code == 0 and "rosenbrock" in r.stdout and "narrow-valley" in r.stdout
    code, out = run_json("example", "--list")
    assert code == 0 and "gd" in out["methods"] and "adam" in out["methods"]
    assert {o["name"] for o in out["objectives"]} >= {"rosenbrock", "narrow-valley"}


BAD = [
    (["example"], "missing METHOD"),
    (["example", "gd"], "give the objective with --f"),
    (["example", "gd", "--f", "x", "--g", "1"], "one of --f, --g and --g-seq"),
    (["example", "gd", "--f", "x^2", "--x0", "1,2"], "has 2 coordinates"),
    (["example", "gd", "--f", "x^2", "--x0", "a"], "bad point"),
    (["example", "gd", "--f", "x^2", "--steps", "0"], "--steps"),
    (["example", "gd", "--f", "x^2", "--steps", "51"], "--steps"),
    (["example", "adamm", "--f", "x^2"], "did you mean 'adam'"),
    (["example", "gd", "--f", "x^2", "--lrr", "0.1"], "did you mean '--lr'"),
    (["example", "gd", "--f", "x^2", "--lr", "-1"], "Invalid learning rate"),
    (["example", "gd", "--f", "x^2", "--lr", "nan"], "finite number"),
    (["example", "gd", "--f", "x^2", "--momentum", "0.9"], "fixes --momentum"),
    (["example", "momentum", "--f", "x^2", "--momentum", "0"], "needs --momentum > 0"),
    (["example", "gd", "--f", "x^2", "--document"], "--document goes with --format latex"),
    (["example", "gd", "--f", "sqrt(x)", "--x0", "-1"], "not a finite real"),
    (["example", "adam", "--g", "0.5", "--x0", "1,2,3", "--g", "1,2"], "--g has 2 values"),
    (["example", "gd", "--f", "exp(x, y)"], "exactly one argument"),
    (["example", "gd", "--f", "rosenbrok"], "did you mean the built-in 'rosenbrock'"),
    (["example", "gd", "--f", "narrow_valey"], "did you mean the built-in 'narrow-valley'"),
    (["example", "gd", "--f", "rosenbrock(x)"], "unknown function"),
]


@pytest.mark.parametrize(("args", "message"), BAD)
def test_bad_input_is_one_line_exit_2(run_cli, args, message):
    result = run_cli(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("optsym: error: "), result.stderr
    assert message in lines[0]


def test_failed_check_exits_1(run_cli, monkeypatch):
    """A wrong textbook formula (SGD stepping with lr/2) makes the check fail: exit 1."""
    sgd = rules.get("sgd")

    def wrong(cfg):
        eqs = list(sgd.textbook(cfg))
        eqs[-1] = dataclasses.replace(eqs[-1], expr=eqs[-1].expr.subs(
            sgd.hyper("lr").symbol, sgd.hyper("lr").symbol / 2))
        return tuple(eqs)

    broken = dataclasses.replace(sgd, textbook=wrong)
    real_get = rules.get
    monkeypatch.setattr(rules, "get", lambda name: broken if name == "sgd" else real_get(name))
    r = run_cli("example", "gd", "--f", "x^2", "--x0", "1", "--lr", "0.1", "--steps", "2")
    assert r.exit_code == 1
    assert "[FAIL] generated torch-parity code" in r.stdout


@pytest.mark.skipif(shutil.which("pdflatex") is None,
                    reason="pdflatex is not installed (CI installs it: .ci/latex)")
def test_latex_document_compiles(run_cli, tmp_path):
    r = run_cli("example", "gd", "--f", "(x - 3)**2", "--x0", "0", "--lr", "0.1", "--steps",
                "2", "--format", "latex", "--document")
    assert r.exit_code == 0 and "\\begin{document}" in r.stdout
    assert "\\frac{27}{25}" in r.stdout
    tex = tmp_path / "ex.tex"
    tex.write_text(r.stdout)
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (tmp_path / "ex.pdf").stat().st_size > 1000


def test_json_values_are_exact_strings(run_json):
    code, out = run_json("example", "adam", "--g", "0.5", "--steps", "2")
    assert code == 0
    x1 = sp.Rational(out["iterates"][1][0])
    assert x1 == sp.Rational(-50000, 50000001)
    json.dumps(out)  # plain JSON all the way down


def test_divergence_with_overflow_exits_0_not_2(run_cli):
    """A valid objective on which gradient descent diverges until f overflows float64 is a
    result (reported), not a usage error."""
    result = run_cli("example", "gd", "--f", "x**100", "--x0", "1e3", "--steps", "2")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "diverges" in result.stdout and "overflows float64" in result.stdout


def test_gradient_sequence_adagrad_on_a_rare_feature(run_json):
    """AdaGrad, lr 1: a feature seen once gets a full step, the frequent one a shrinking step
    (by hand: x_t = x_{t-1} - g_t/(sqrt(sum of g^2) + eps); eps = 1e-10 exactly)."""
    code, data = run_json("example", "adagrad", "--g-seq", "1,0; 1,0; 1,1", "--lr", "1",
                          "--eps", "1e-10")
    assert code == 0 and data["checked"] and len(data["steps"]) == 3
    assert data["grad_seq"] == [["1", "0"], ["1", "0"], ["1", "1"]]
    eps = sp.Rational(1, 10**10)
    x1 = -sum(1 / (sp.sqrt(k) + eps) for k in (1, 2, 3))
    x2 = -1 / (1 + eps)  # first seen at step 3: its sum of squares is 1
    last = [sp.sympify(v) for v in data["iterates"][-1]]  # exact, or 50 digits when long
    assert abs(sp.N(last[0] - x1, 60)) < 1e-45 and last[1] == x2


def test_gradient_sequence_rmsprop_after_the_gradients_stop(run_json):
    """RMSprop keeps moving only while g != 0: with g = 1, 1, 0, 0 the iterate stops after
    step 2 (exact, by hand: v_1 = 1/100, v_2 = 199/10000)."""
    code, data = run_json("example", "rmsprop", "--g-seq", "1;1;0;0", "--x0", "1",
                          "--lr", "1/10", "--eps", "0")
    assert code == 0 and data["checked"]
    xs = [sp.sympify(it[0]) for it in data["iterates"]]
    v1, v2 = sp.Rational(1, 100), sp.Rational(99, 100) * sp.Rational(1, 100) + sp.Rational(1, 100)
    expected_2 = 1 - sp.Rational(1, 10) / sp.sqrt(v1) - sp.Rational(1, 10) / sp.sqrt(v2)
    assert sp.simplify(xs[2] - expected_2) == 0
    assert xs[3] == xs[2] and xs[4] == xs[2]


@pytest.mark.parametrize("args, message", [
    (["--g-seq", "1;2", "--steps", "3"], "--g-seq gives 2 gradients; --steps 3 needs 3"),
    (["--g-seq", "1;x"], "--g-seq gradient 2: bad point 'x'"),
    (["--g-seq", "1,2;3", "--x0", "1,1,1"], "--g-seq gradient 1 has 2 values"),
    (["--g", "1", "--g-seq", "1"], "not --g and --g-seq"),
    (["--g-seq", ";"], "--g-seq gradient 1:"),
    (["--g-seq", "1,2;3,4,5"], "gradient 2 of the sequence has 3 coordinates; the first"),
])
def test_gradient_sequence_bad_input(run_cli, args, message):
    result = run_cli("example", "adam", *args)
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
