"""The course's text is mathematics, not code: derivation prose (optsym.mathtext), updates in
reading order (optsym.reading), worked-example numbers (optsym.examples.render), and what
Jupyter's MathJax is handed.  Expected strings are written by hand."""

from __future__ import annotations

import re

import pytest
import sympy as sp

from optsym import derivations, rules
from optsym.mathtext import segments, to_latex, to_mathjax
from optsym.reading import constants_of, update

CASES = [
    ("The gradient g of f(x) = 1/2 x^T A x - b^T x is",
     r"The gradient $g$ of $f(x) = \tfrac{1}{2} x^{T} A x - b^{T} x$ is"),
    ("and a_lambda/2 + sqrt(a_lambda**2 - 4*beta)/2; sympy.solve",
     r"and $a_{\lambda}/2 + \sqrt{a_{\lambda}^{2} - 4 \beta}/2$; \texttt{sympy.solve}"),
    ("the eigenvalues of A lie in [mu, L], $0 < \\mu \\le L$",
     r"the eigenvalues of $A$ lie in $[\mu, L]$, $0 < \mu \le L$"),
    ("failure probability p = 1e-6", r"failure probability $p = 10^{-6}$"),
    ("max |exact - float64| = 6.7e-16", r"max \textbar{}exact - float64$| = 6.7 \cdot 10^{-16}$"),
    ("A direction converges; a fixed step eta", r"A direction converges; a fixed step $\eta$"),
    ("L-smooth, the exp_avg and lr_decay; i.e. Thm 3.1 (2012)",
     r"$L$-smooth, the \texttt{exp\_avg} and \texttt{lr\_decay}; i.e. Thm 3.1 (2012)"),
    ("optimal rate sqrt(beta*) = (sqrt(kappa) - 1)/(sqrt(kappa) + 1)",
     r"optimal rate $\sqrt{\beta^*} = (\sqrt{\kappa} - 1)/(\sqrt{\kappa} + 1)$"),
    ("H_T^(1/2) ~ 2 sqrt(t)", r"$H_{T}^{1/2} \sim  2 \sqrt{t}$"),
    ("f(x_k) - f* <= <grad f(x_k), x_k - x*>; D_k = ||x_k - x*||^2",
     r"$f(x_{k}) - f^* \le \langle \nabla f(x_{k}), x_{k} - x^*\rangle $; "
     r"$D_{k} = \| x_{k} - x^*\| ^{2}$"),
    ("X_ij iid; a 2 x 2 GOE; sum_{j <= T} j^(-1/2); |cos phi - sin phi|; the sum is",
     r"$X_{ij}$ iid; a $2 \times 2$ GOE; $\sum_{j \le T} j^{-1/2}$; "
     r"$|\cos \phi - \sin \phi|$; the sum is"),
    ("Z an n x d matrix; then D W D (W = Z^T Z/n) has",
     r"$Z$ an $n \times d$ matrix; then $D W D$ $(W = Z^{T} Z/n)$ has"),
    ("(Q orthogonal) and ``buf = momentum * buf + grad``",
     r"($Q$ orthogonal) and \texttt{buf = momentum * buf + grad}"),
]


@pytest.mark.parametrize("ascii_text, expected", CASES)
def test_prose_formulas_become_latex(ascii_text, expected):
    assert to_latex(ascii_text) == expected


def test_prose_is_not_the_escaped_text():
    """The mutation: the old printer (escaping only) gives the code-style text."""
    from optsym.derivation import _tex_text

    assert _tex_text("x^T A x") != to_latex("x^T A x")
    assert r"\textasciicircum" in _tex_text("x^T A x")


def _outside_math(latex: str) -> str:
    """``latex`` less its ``$...$``, ``\\[...\\]`` and ``align*`` mathematics and its texttt."""
    latex = re.sub(r"\\begin\{align\*\}.*?\\end\{align\*\}", "", latex, flags=re.S)
    latex = re.sub(r"\\\[.*?\\\]", "", latex, flags=re.S)
    latex = re.sub(r"\$[^$]*\$", "", latex)
    return re.sub(r"\\texttt\{[^}]*\}", "", latex)


@pytest.mark.parametrize("name", derivations.names())
def test_derivation_text_has_no_code_style_mathematics(name):
    text = _outside_math(derivations.get(name).as_latex())
    for code in (r"\textasciicircum", "**", "sqrt(", "x^T", "[mu, L]", "1e-"):
        assert code not in text, (code, text[max(0, text.find(code) - 80):][:160])
    greek = re.findall(r"\b(beta|lambda|kappa|eta|mu|sigma|alpha)\b", text)
    assert not greek, greek


def test_mathjax_words_hold_no_text_mode_escape():
    r"""MathJax prints ``\_`` and ``\textasciicircum{}`` inside ``\text{}`` literally (and the
    textmacros extension rejects the latter): words go in macro-free ``\text{}``."""
    out = to_mathjax("Momentum's buffer from v_0 = 0 (exp_avg, 100%)")
    assert out == (r"\text{Momentum's buffer from }{v_{0} = 0}\text{ (}\mathtt{exp\_avg}"
                   r"\text{, 100}\%\text{)}")
    for name in derivations.names():
        block = derivations.get(name)._repr_latex_()
        for inside in re.findall(r"\\text(?:bf)?\{([^{}]*)\}", block):
            assert "\\" not in inside and "_" not in inside and "^" not in inside, (name, inside)
        assert r"\textasciicircum" not in block and r"\textbackslash" not in block


def test_segments_keep_dollar_math():
    assert segments("so $\\|e_t\\|$ falls") [1].text == r"\|e_t\|"


# ---- reading order ---------------------------------------------------------------------------
def test_adam_update_in_reading_order():
    adam = rules.get("adam")
    lines = [update(a.target, a.expr, constants_of(adam)) for a in adam.textbook(adam.config())]
    assert lines[0] == r"m \gets \beta_1 m + \left(1 - \beta_1\right) g"
    assert lines[-1] == r"\theta \gets \theta - \frac{\eta \hat m}{\sqrt{\hat v} + \epsilon}"
    # the mutation: SymPy's own order is what the printer replaces
    from optsym.spec import latex

    assert latex(adam.textbook(adam.config())[-1].expr) != lines[-1].split(r"\gets ")[1]


def test_reading_order_of_plain_symbols():
    """The assigned variable first, a symbol named eps last, a number ending a sum."""
    x, y, eps, t = sp.symbols("x y eps t")
    assert update(x, x - y / (eps + sp.sqrt(y))) == r"x \gets x - \frac{y}{\sqrt{y} + eps}"
    assert update(y, 1 + t) == r"y \gets t + 1"
    assert update(y, 1 - x * t) == r"y \gets 1 - t x"


def test_derivation_sums_read_like_polynomials():
    """A number ends a sum with positive terms; positive terms come before subtracted ones."""
    r1, r2, beta, eta, lam = sp.symbols("r_1 r_2 beta eta lambda")
    from optsym.reading import reading

    assert reading(r1 * r2 - r1 - r2 + 1) == r"r_{1} r_{2} - r_{1} - r_{2} + 1"
    assert reading(-beta + eta * lam - 1) == r"\eta \lambda - \beta - 1"
    assert reading(1 - beta) == r"1 - \beta"


def test_decoupled_decay_reads_one_minus():
    adamw = rules.get("adamw")
    first = adamw.textbook(adamw.config())[0]
    assert update(first.target, first.expr, constants_of(adamw)) == \
        r"\theta \gets \left(1 - \eta \lambda\right) \theta"


# ---- worked-example numbers ------------------------------------------------------------------
@pytest.fixture(scope="module")
def adam_example():
    from optsym import examples
    from optsym.objective import parse_objective

    return examples.worked_example("adam", parse_objective("narrow-valley"), (1, 1),
                                   {"lr": sp.Rational(1, 10)}, 2)


def test_worked_example_numbers_are_mathematics(adam_example):
    tex = adam_example.as_latex()
    assert not re.search(r"=\s*\\approx", tex)
    assert not re.search(r"\d\.?\d*e-?\d", tex), re.search(r".{40}\d\.?\d*e-?\d.{20}", tex)
    assert not re.search(r"\d{17,}", tex.split(r"\paragraph{Checks.}")[0])
    assert r"\epsilon = 10^{-8}" in tex and "10 significant digits" in tex
    # by hand: theta_1[x] = 1 - (1/10) 2/(2 + 10^-8) = 0.9000000005 (10 digits)
    assert r"\approx 0.9000000005" in tex
    # m_1[x] = (1 - 9/10) 2 = 1/5 exactly
    assert r"= \frac{1}{5} = 0.2" in tex


def test_tex_decimal_uses_scientific_notation():
    from optsym.examples.texnum import tex_decimal, tex_exact

    assert tex_decimal(sp.Rational(3, 2) * sp.Rational(1, 10**8)) == r"1.5 \cdot 10^{-8}"
    assert tex_decimal(sp.Rational(1, 10**8)) == r"10^{-8}"
    assert tex_decimal(sp.Rational(9, 10)) == "0.9"
    assert tex_exact(sp.Rational(1, 10**8)) == "10^{-8}"
    assert tex_exact(sp.Rational(1, 100)) == r"\frac{1}{100}"


def test_worked_example_mathjax_has_no_text_escapes(adam_example):
    block = adam_example._repr_latex_() if hasattr(adam_example, "_repr_latex_") \
        else adam_example.as_mathjax()
    for inside in re.findall(r"\\text\{([^{}]*)\}", block):
        assert "\\" not in inside and "_" not in inside, inside
    assert not re.search(r"=\s*\\approx", block)


def test_adamw_weight_decay_is_not_called_an_l2_penalty():
    adamw = {h.name: h for h in rules.get("adamw").hypers}
    adam = {h.name: h for h in rules.get("adam").hypers}
    assert "L2 penalty coefficient" not in adamw["weight_decay"].doc
    assert "decoupled" in adamw["weight_decay"].doc
    assert "L2 penalty" in adam["weight_decay"].doc  # Adam's default is the coupled penalty
    assert to_latex(adamw["weight_decay"].doc).startswith(
        r"decoupled weight decay: $\theta \gets (1 - \eta \lambda) \theta$")


def test_worked_example_takes_a_formula_string():
    """The string goes through the safe objective parser; the step is checked by hand:
    GD on f = x^2 + 10 y^2 from (1, 1) at lr = 1/10: x_1 = (1 - 2/10, 1 - 20/10) = (4/5, -1)."""
    from optsym import examples
    from optsym.objective import ObjectiveError

    ex = examples.worked_example("gd", "x^2 + 10*y^2", (1, 1), {"lr": sp.Rational(1, 10)}, 1)
    assert tuple(ex.records[-1].after) == (sp.Rational(4, 5), -1)
    with pytest.raises(ObjectiveError):
        examples.worked_example("gd", "__import__('os').system('true')", (1, 1),
                                {"lr": sp.Rational(1, 10)}, 1)


def test_algorithm_fractions_get_room():
    from optsym.export.latex import algorithm

    block = algorithm("c", "alg:x", ["input"], [(r"\hat m \gets \frac{m}{1 - \beta_1^{t}}", ""),
                                                (r"m \gets m", "")])
    frac_row, plain_row = [r for r in block.splitlines() if r"\gets" in r]
    assert r"\rule[-2.4ex]{0pt}{6ex}" in frac_row and r"\rule" not in plain_row


def test_option_captions_are_mathematics():
    """Adamax's richest options by hand: lr=0.01, eps=1e-06, weight_decay=0.05, maximize."""
    from optsym.export.rule import _options_tex, _richest

    adamax = rules.get("adamax")
    assert _options_tex(adamax, _richest(adamax)) == \
        r"$\eta = 0.01$, $\epsilon = 10^{-6}$, $\lambda = 0.05$, \texttt{maximize}"


def test_algorithm_comments_and_schedule_docs_are_prose():
    from optsym.export.latex import algorithm

    block = algorithm("c", "alg:x", ["input"], [("v", "E[g^2]")])
    assert r"$E[g^{2}]$" in block and r"\textasciicircum" not in block


def test_schedule_piecewise_is_displayed_full_size():
    from pathlib import Path

    from optsym.export.context import Context
    from optsym.export.schedule import schedule_chapter
    from optsym.export.topics import find

    text = schedule_chapter(find("transformer"), Context(Path(".")), figures=False)
    assert r"\begin{dcases}" in text and r"\begin{cases}" not in text
    assert r"{\raggedright torch: \texttt{torch.optim.lr\_scheduler." in text


@pytest.mark.parametrize("text", ["x_2e", "a_3eh", "w_1e5", "b_2e-3x", "lr_1e"])
def test_a_snake_part_that_only_starts_like_a_number_is_a_name(text):
    """Review finding: ``x_2e`` raised ValueError (its part ``2e`` was read as a number)."""
    out = to_latex(text)
    assert out.startswith("$") and "ValueError" not in out


def test_random_text_never_raises():
    import random

    rng = random.Random(0)
    alphabet = "ab_xe12.-+^*/()[]{} ,=<>|$\\"
    for _ in range(3000):
        to_latex("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 16))))
