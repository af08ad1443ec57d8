"""The objective parser: allowed formulas parse to the SymPy expression built directly, hostile
text is refused with one line and exit 2 and is never executed."""

from __future__ import annotations

import os
import time
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from optsym.objective import (
    ObjectiveError,
    builtin_names,
    parse_objective,
    parse_point,
)

x, y, z = (sp.Symbol(n, real=True) for n in "xyz")


def hostile(sentinel: str) -> list[str]:
    """Text that must never run: code injection, resource exhaustion, grammar outside the
    allow-list.  ``sentinel`` is a file that a successful injection would create."""
    return [
        f"__import__('os').system('touch {sentinel}')",
        "__import__(chr(111)+chr(115))",
        f"open('{sentinel}', 'w')",
        "().__class__",
        "().__class__.__bases__[0].__subclasses__()",
        "x.__class__",
        "x.real",
        "sin.__globals__",
        "lambda: 1",
        "(lambda x: x)(1)",
        "x**9999999999",
        "9**9**9**9",
        "(x**100)**100",
        "exp(log(9)*9**9)*x",
        "exp(exp(exp(exp(exp(x)))))",
        "e^(e^(e^x))",
        "cosh(sinh(exp(x)))",
        "x**x**x",
        "2**x",
        "x**y",
        "eval(x)",
        "exec(x)",
        "getattr(x, y)",
        "globals()",
        "breakpoint()",
        "f(x)",
        "exp(x, y)",
        "exp(x=1)",
        "exp()",
        "sin(*x)",
        "[x]",
        "{x}",
        "'a'",
        "b'a'",
        "x if x else y",
        "x and y",
        "x < y",
        "not x",
        "x % 2",
        "x // 2",
        "x @ y",
        "x ^^ 2",
        "(y := 2)",
        "f'{x}'",
        "x;import os",
        "x\nimport os",
        "x\r\n__import__('os')",
        "x" + "+x" * 300,
        "(" * 200 + "x" + ")" * 200,
        "-" * 200 + "x",
        "sin(" * 70 + "x" + ")" * 70,
        "",
        "   ",
        "\x00",
        "\uff58",  # fullwidth x: Python's parser would read it as x (NFKC)
        "\u0455in(x)",  # Cyrillic s
        "x\u200b",  # zero-width space
        "1" * 40 + "*x",
        "1e99999*x",
        "1j*x",
        "True*x",
        "None",
        "...",
        "1/0 + x",
        "x__y",
        "__x",
        "X",
        "exp",
        "a+b+c+d+f+g+h+k+m",
        "x.y",
        "x[0]",
        "print(x)",
        "sigmoid.__call__(x)",
    ]


@pytest.mark.parametrize("text", hostile("/tmp/optsym-sentinel"))
def test_hostile_text_is_refused_in_the_library(text):
    with pytest.raises(ObjectiveError) as info:
        parse_objective(text)
    message = str(info.value)
    assert message and "\n" not in message


def test_hostile_corpus_through_the_cli_exit_2_no_side_effects(run_cli, tmp_path):
    sentinel = tmp_path / "sentinel"
    corpus = hostile(str(sentinel))
    assert len(corpus) >= 25
    for text in corpus:
        start = time.perf_counter()
        result = run_cli("example", "gd", "--f", text, "--x0", "0")
        assert time.perf_counter() - start < 10, text
        assert result.exit_code == 2, (text, result.stdout, result.stderr)
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("optsym: error: "), (text, result.stderr)
        assert "Traceback" not in result.stderr
    assert not sentinel.exists()
    assert not os.path.exists("/tmp/optsym-sentinel")


@pytest.mark.parametrize(("text", "expected"), [
    ("(x - 3)**2", (x - 3) ** 2),
    ("(x - 3)^2", (x - 3) ** 2),
    ("x^2 + 10*y^2", x**2 + 10 * y**2),
    ("0.1*x", sp.Rational(1, 10) * x),
    ("1e-3*x + 2.5e2", x / 1000 + 250),
    ("-x**2", -(x**2)),
    ("x**-2", x ** -2),
    ("x**0.5", sp.sqrt(x)),
    ("x**(1/3)", x ** sp.Rational(1, 3)),
    ("exp(x) + log(y) + sqrt(z)", sp.exp(x) + sp.log(y) + sp.sqrt(z)),
    ("e^x + pi*y", sp.exp(x) + sp.pi * y),
    ("abs(x) + tanh(y)", sp.Abs(x) + sp.tanh(y)),
    ("sigmoid(x)", 1 / (1 + sp.exp(-x))),
    ("softplus(x)", sp.log(1 + sp.exp(x))),
    ("+x - -y", x + y),
    ("  (x - 3)^2\t", (x - 3) ** 2),
    (".5*x + 1_000*y", x / 2 + 1000 * y),
    ("x1^2 + x2^2", sp.Symbol("x1", real=True) ** 2 + sp.Symbol("x2", real=True) ** 2),
])
def test_allowed_formulas(text, expected):
    obj = parse_objective(text)
    assert sp.simplify(obj.expr - expected) == 0


def test_variable_order_is_fixed():
    assert [str(v) for v in parse_objective("y + x").variables] == ["x", "y"]
    assert [str(v) for v in parse_objective("x10 + x2 + x1").variables] == ["x1", "x2", "x10"]
    assert [str(v) for v in parse_objective("z*w + y*x").variables] == ["x", "y", "z", "w"]


def test_decimal_literals_are_exact_rationals():
    obj = parse_objective("0.1*x + 0.3")
    assert obj.value((1,)) == sp.Rational(2, 5)  # 0.1 + 0.3 in doubles is 0.4000000000000001


def test_builtins():
    assert {"rosenbrock", "narrow-valley"} <= set(builtin_names())
    ros = parse_objective("rosenbrock")
    assert ros.name == "rosenbrock"
    assert ros.value((1, 1)) == 0 and ros.grad_at((1, 1)) == (0, 0)
    # the gradient checked by hand at (0, 0): d/dx = -2(1 - x) - 400 x (y - x^2) = -2
    assert ros.grad_at((0, 0)) == (-2, 0)
    nv = parse_objective("narrow_valley")
    assert nv.expr == x**2 + 10 * y**2 and "10" in nv.description
    for name in builtin_names():
        obj = parse_objective(name)
        assert obj.dim == 2 and obj.description


def test_gradient_and_numeric_forms_agree():
    import torch

    obj = parse_objective("rosenbrock")
    f, df = obj.numpy()
    point = np.array([-1.2, 1.0])
    # Rosenbrock's gradient written out by hand (independent of SymPy)
    a, b = point
    expected = np.array([-2 * (1 - a) - 400 * a * (b - a**2), 200 * (b - a**2)])
    np.testing.assert_allclose(df(point), expected, rtol=1e-14)
    assert f(point) == pytest.approx((1 - a) ** 2 + 100 * (b - a**2) ** 2, rel=1e-14)
    leaf = torch.tensor(point, dtype=torch.float64, requires_grad=True)
    value = obj.torch()(leaf)
    value.backward()
    np.testing.assert_allclose(leaf.grad.numpy(), expected, rtol=1e-14)
    assert "100" in obj.latex() and obj.latex().startswith("f(x, y) = ")


def test_parse_point_exact():
    assert parse_point("1,1") == (1, 1)
    assert parse_point("-1.5, 2") == (sp.Rational(-3, 2), 2)
    assert parse_point("0.1") == (sp.Rational(1, 10),)
    assert parse_point("1/3,2e-3", 2) == (sp.Rational(1, 3), sp.Rational(1, 500))
    for bad in ["", "1,,2", "x", "1;2", "__import__('os')", "1e999", "inf", "nan", "1/0"]:
        with pytest.raises(ObjectiveError):
            parse_point(bad)
    with pytest.raises(ObjectiveError, match="2 variables"):
        parse_point("1", 2)


def test_value_exact_with_fractions():
    obj = parse_objective("(x - 3)**2")
    assert obj.value((Fraction(3, 5),)) == sp.Rational(144, 25)


# ---- property test: random allowed formulas parse to the expression built directly ----------
_LEAVES = st.sampled_from([("x", x), ("y", y), ("z", z), ("2", sp.Integer(2)),
                           ("7", sp.Integer(7)), ("0.5", sp.Rational(1, 2)),
                           ("1.25", sp.Rational(5, 4)), ("pi", sp.pi)])
_FUNCS = [("exp", sp.exp), ("sin", sp.sin), ("cos", sp.cos), ("tanh", sp.tanh),
          ("sqrt", sp.sqrt), ("log", sp.log), ("abs", sp.Abs)]


def _extend(children):
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children).map(
        lambda t: (f"({t[0][0]}) {t[1]} ({t[2][0]})",
                   {"+": sp.Add, "-": lambda a, b: a - b, "*": sp.Mul,
                    "/": lambda a, b: a / b}[t[1]](t[0][1], t[2][1])))
    power = st.tuples(children, st.integers(-3, 4), st.sampled_from(["**", "^"])).map(
        lambda t: (f"({t[0][0]}){t[2]}({t[1]})", t[0][1] ** t[1]))
    neg = children.map(lambda c: (f"-({c[0]})", -c[1]))
    # a function's argument always holds a variable (constant arguments are size-checked)
    call = st.tuples(st.sampled_from(_FUNCS), children).map(
        lambda t: (f"{t[0][0]}(({t[1][0]}) + x)", t[0][1](t[1][1] + x)))
    return st.one_of(binary, power, neg, call)


FORMULAS = st.recursive(_LEAVES, _extend, max_leaves=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FORMULAS)
def test_random_formulas_parse_to_the_direct_sympy_expression(formula):
    text, reference = formula
    # refused: a division by zero, or no variable at all (x - x is the zero function of x)
    bad = reference.has(sp.zoo, sp.oo, -sp.oo, sp.nan) or not any(v in text for v in "xyz")
    assume(not any(p.exp.is_Number and abs(p.exp) > 1000 for p in reference.atoms(sp.Pow)))
    if bad:
        with pytest.raises(ObjectiveError):
            parse_objective(text)
        return
    parsed = parse_objective(text)
    assert parsed.expr == reference, (text, parsed.expr, reference)


def test_text_in_a_point_is_refused_with_a_one_line_error():
    """Review R5: ``Objective.value`` never parses text (strict sympify) and says so as an
    ObjectiveError (exit 2 in the CLI), not as SymPy's SympifyError."""
    f = parse_objective("x**2")
    with pytest.raises(ObjectiveError, match="parse_point"):
        f.value(["__import__('os').getcwd()"])
    assert f.value([sp.Rational(1, 3)]) == sp.Rational(1, 9)
    assert f.value([0.5]) == sp.Rational(1, 4)  # a float is read through its shortest decimal
