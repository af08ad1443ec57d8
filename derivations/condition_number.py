r"""The condition number from a symbolic Hessian: a narrow valley and least squares.

Problem.  Gradient descent is stable for steps below :math:`2/L` and slows down as the condition
number :math:`\kappa = L/\mu` grows, where :math:`L` and :math:`\mu` are the largest and the
smallest eigenvalue of the Hessian.  Find them for (a) the two-dimensional quadratic
:math:`f(x, y) = \frac12 (a x^2 + 2 b x y + c y^2)` (with :math:`b = 0, c \gg a`: a narrow
valley) and (b) least squares :math:`f(w) = \frac{1}{2n} \|X w - y\|^2` on Gaussian features
of which the first is scaled by :math:`s`.

Results.

.. math::

    \begin{align*}
    L, \mu &= \frac{a + c \pm \sqrt{(a - c)^2 + 4 b^2}}{2}, \qquad
        \kappa = \frac{L}{\mu}, \qquad \eta < \frac{2}{L}
        \quad (b = 0,\ c \ge a:\ \kappa = c/a) \\
    \eta^\star &= \frac{2}{\mu + L} = \frac{2}{a + c}, \qquad
        \rho(\eta^\star) = \frac{\kappa - 1}{\kappa + 1} = \frac{\sqrt{(a - c)^2 + 4 b^2}}{a + c} \\
    \nabla^2 \frac{1}{2n} \|X w - y\|^2 &= \frac{X^T X}{n}, \qquad
        L = \lambda_{\max}\!\left(\frac{X^T X}{n}\right), \quad
        \mu = \lambda_{\min}\!\left(\frac{X^T X}{n}\right), \quad
        \kappa = \operatorname{cond}(X)^2 \\
    \mathbb{E} \frac{X^T X}{n} &= \operatorname{diag}(s^2, 1, \dots, 1):\quad
        L \to \max(s^2, 1),\ \mu \to \min(s^2, 1),\
        \text{within } \left(1 \pm \sqrt{d/n} \pm t/\sqrt{n}\right)^2
        \text{ w.p. } \ge 1 - 2 e^{-t^2/2}
    \end{align*}

Reference: Goodfellow, Bengio & Courville, *Deep Learning* (2016), 4.3.1 (the Hessian's
condition number and the step :math:`2/\lambda_{\max}`) and 8.2.1 (ill-conditioning);
Vershynin, *Introduction to the non-asymptotic analysis of random matrices* (2012),
Corollary 5.35 (the extreme singular values of a Gaussian matrix).
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from optsym.derivation import Check, Derivation, Param, Sheet
from optsym.derivations._quadratic import entries_2x2
from optsym.derivations.gd_quadratic import stability_checks

a = sp.Symbol("a", positive=True)
b = sp.Symbol("b", real=True)
c = sp.Symbol("c", positive=True)
x, y = sp.symbols("x y", real=True)
lam = sp.Symbol("lambda", real=True)
s = sp.Symbol("s", positive=True)
n = sp.Symbol("n", integer=True, positive=True)
d_ = sp.Symbol("d", integer=True, positive=True)
L2, mu2 = sp.symbols("L mu", positive=True)

#: the failure probability of the population band (Vershynin's bound with 2 exp(-t^2/2) = this)
FAILURE = sp.Rational(1, 10**6)
#: the smallest 4 det/trace^2 (about 4/kappa) the float64 cross-checks accept for (a)
MIN_DET_RATIO = 1e-8

PARAMS = (
    Param("a", 1.0, "Hessian entry H[0,0] (f = (a x^2 + 2 b x y + c y^2)/2, so not the "
          "coefficient of x^2: use --f or --hessian for that)", symbol=a,
          valid=lambda v: 1e-6 <= v <= 1e6, error="{name} must be in [1e-6, 1e6], got {value}"),
    Param("b", 0.0, "Hessian entry H[0,1] = H[1,0] (the x y coefficient of f is 2 b)", symbol=b,
          valid=lambda v: abs(v) <= 1e6, error="{name} must be in [-1e6, 1e6], got {value}"),
    Param("c", 10.0, "Hessian entry H[1,1] (the y^2 coefficient of f is c/2)", symbol=c,
          valid=lambda v: 1e-6 <= v <= 1e6, error="{name} must be in [1e-6, 1e6], got {value}"),
    Param("seed", 0, "seed of the least-squares data set", "int",
          valid=lambda v: 0 <= v < 2**63, error="{name} must be an integer >= 0, got {value}"),
    Param("n", 1000, "least squares: number of samples", "int", n,
          valid=lambda v: 2 <= v <= 10000, error="{name} must be in [2, 10000], got {value}"),
    Param("d", 3, "least squares: number of features", "int", d_,
          valid=lambda v: 2 <= v <= 10, error="{name} must be in [2, 10], got {value}"),
    Param("scale", 10.0, "least squares: scale s of the first feature (the others have 1)",
          symbol=s, valid=lambda v: 1e-3 <= v <= 1e3,
          error="{name} must be in [0.001, 1000], got {value}"),
)

CHECKS = (
    (lambda cf: cf["a"] * cf["c"] <= cf["b"] ** 2,
     "the Hessian [[a, b], [b, c]] must be positive definite: need a*c > b**2, got --a {a}, "
     "--b {b}, --c {c}"),
    (lambda cf: 4 * (cf["a"] * cf["c"] - cf["b"] ** 2) < MIN_DET_RATIO * (cf["a"] + cf["c"]) ** 2,
     "the Hessian [[a, b], [b, c]] is too ill-conditioned for float64 cross-checks (kappa above "
     "about 4e8): --a {a}, --b {b}, --c {c}"),
    (lambda cf: cf["n"] < cf["d"], "--n ({n}) must be at least --d ({d})"),
)


def build() -> Sheet:
    sh = Sheet()
    # (a) the two-dimensional quadratic
    f = (a * x**2 + 2 * b * x * y + c * y**2) / 2
    sh.step("(a) The quadratic f(x, y) = 1/2 [x y] [[a, b], [b, c]] [x y]^T is",
            sp.Eq(sp.Function("f")(x, y), f), "")
    hessian = sp.ImmutableMatrix(sp.hessian(f, (x, y)))
    sh.step("Its Hessian is constant:", sp.Eq(sp.MatrixSymbol("H", 2, 2), hessian),
            "sympy.hessian")
    sh.step("Its eigenvalues solve the characteristic equation",
            sp.Eq(hessian.charpoly(lam).as_expr(), 0), "det(H - lambda I) = 0")
    roots = list(hessian.eigenvals())
    disc = (a - c) ** 2 + 4 * b**2
    big = (a + c + sp.sqrt(disc)) / 2
    small = (a + c - sp.sqrt(disc)) / 2
    assert len(roots) == 2 and all(any(sp.simplify(r - e) == 0 for r in roots)
                                   for e in (big, small))
    sh.step("Under the root, SymPy's expanded discriminant is a sum of squares,",
            sp.Eq(sp.expand(disc), disc),
            "so both eigenvalues are real, and the root with + sqrt is the larger (sympy's "
            "eigenvals returns them unordered with the discriminant expanded: they are matched "
            "to the two forms below by simplify)")
    sh.step("so", sp.Eq(L2, big), "the largest eigenvalue (smoothness constant)")
    sh.step("and", sp.Eq(mu2, small), "the smallest eigenvalue (strong convexity)")
    det = sp.factor(sp.expand(big * small))
    sh.step("The product of the eigenvalues is the determinant:", sp.Eq(L2 * mu2, det),
            r"with $a + c > 0$, H is positive definite ($\mu > 0$) iff $a c > b^2$")
    kappa_ab = (a + c + sp.sqrt(disc)) ** 2 / (4 * det)
    assert sp.simplify(kappa_ab - big / small) == 0
    sh.step("The condition number L/mu, multiplied by L/L (the denominator becomes L mu):",
            sp.Eq(L2 / mu2, kappa_ab), "SymPy's simplify confirms it equals L/mu")
    sh.result("L", "largest Hessian eigenvalue L", big)
    sh.result("mu", "smallest Hessian eigenvalue mu", small)
    sh.result("kappa", "condition number kappa = L/mu", kappa_ab)
    sh.result("stable_step", "largest stable GD step 2/L (see gd-quadratic)", 2 / big)
    sh.step("The sum of the eigenvalues is the trace:", sp.Eq(L2 + mu2, a + c),
            "the roots' sqrt terms cancel")
    sh.result("optimal_step", "optimal GD step 2/(mu + L)", 2 / (a + c))
    rate = sp.sqrt(disc) / (a + c)
    assert sp.simplify(rate - (kappa_ab - 1) / (kappa_ab + 1)) == 0
    sh.step("At that step GD's error contracts per step by max |1 - eta lambda| over the two "
            "eigenvalues, the same at both:", sp.Eq((L2 - mu2) / (L2 + mu2), rate),
            "(kappa - 1)/(kappa + 1) = (L - mu)/(L + mu); SymPy's simplify confirms it equals "
            "(kappa - 1)/(kappa + 1) in a, b, c")
    sh.result("rate", "GD's rate at 2/(mu + L): (kappa - 1)/(kappa + 1)", rate)
    sh.step(r"Narrow valley: with b = 0 the root is $|a - c|$,", sp.Eq(L2, big.subs(b, 0)),
            r"so for $c \ge a$: L = c, mu = a, kappa = c/a, and the step 2/c is set by the steep "
            "direction while the flat one contracts only by about 1 - 2a/c per step")
    # (b) least squares
    rows = 3
    X = sp.Matrix(rows, 2, lambda i, j: sp.Symbol(f"x_{i + 1}{j + 1}", real=True))
    Y = sp.Matrix(rows, 1, lambda i, _: sp.Symbol(f"y_{i + 1}", real=True))
    w = sp.Matrix(sp.symbols("w_1 w_2", real=True))
    r = X * w - Y
    loss = (r.T * r)[0] / (2 * rows)
    grad = sp.Matrix([sp.diff(loss, wi) for wi in w])
    assert sp.simplify(grad - X.T * (X * w - Y) / rows) == sp.zeros(2, 1)
    h_ls = sp.ImmutableMatrix(sp.hessian(loss, list(w)))
    assert sp.simplify(h_ls - X.T * X / rows) == sp.zeros(2, 2)
    sh.step(r"(b) Least squares $f(w) = \|X w - y\|^2/(2n)$; with n = 3 samples and 2 features "
            "the Hessian is", sp.Eq(sp.MatrixSymbol("H", 2, 2), h_ls),
            "sympy.hessian of the expanded loss; SymPy also checks that the gradient is "
            "X^T (X w - y)/n and that this Hessian equals X^T X/n (the differences simplify "
            "to 0)")
    Xm = sp.MatrixSymbol("X", n, d_)
    sh.step("The same computation for any n and d gives a Hessian that depends on neither w "
            "nor y:", sp.Eq(sp.MatrixSymbol("H", d_, d_), Xm.T * Xm / n),
            "f is a quadratic in w with the matrix X^T X/n; for d = 2 this is (a) with "
            r"$a = \|X_1\|^2/n$, $b = X_1 \cdot X_2/n$, $c = \|X_2\|^2/n$ (columns of X)")
    sh.step("so L and mu are the extreme eigenvalues of X^T X/n, the squared extreme singular "
            "values of X over n:", sp.Eq(L2 / mu2, sp.Symbol("cond(X)") ** 2),
            "the eigenvalues of X^T X are the squares of X's singular values")
    sigma = sp.diag(s**2, 1, 1)
    sh.step("The data set: independent rows x_i from N(0, Sigma), standard normal features "
            "with the first scaled by s, so E[X^T X/n] = E[x x^T] is (d = 3 shown)",
            sp.Eq(sp.MatrixSymbol("Sigma", 3, 3), sp.ImmutableMatrix(sigma)),
            "independent features: the off-diagonal moments vanish")
    pop_l, pop_mu = sp.Max(s**2, 1), sp.Min(s**2, 1)
    sh.result("ls_L_population", r"least squares, $n \to \infty$: L = max(s^2, 1)", pop_l)
    sh.result("ls_mu_population", r"least squares, $n \to \infty$: mu = min(s^2, 1)", pop_mu)
    sh.result("ls_kappa_population", r"least squares, $n \to \infty$: kappa", pop_l / pop_mu)
    sh.result("ls_stable_step_population",
              r"least squares, $n \to \infty$: largest stable step 2/L", 2 / pop_l)
    tail = sp.sqrt(2 * sp.log(2 / FAILURE))
    low = sp.Max(0, 1 - sp.sqrt(d_ / n) - tail / sp.sqrt(n)) ** 2
    high = (1 + sp.sqrt(d_ / n) + tail / sp.sqrt(n)) ** 2
    sh.step("For finite n, X = Z D with Z an n x d standard Gaussian matrix and "
            "D = diag(s, 1, ..., 1).  With probability at least 1 - 2 exp(-t^2/2) the singular "
            "values of Z lie in [sqrt(n) - sqrt(d) - t, sqrt(n) + sqrt(d) + t], so with "
            "t = sqrt(2 log(2/p)), failure probability p = 1e-6, every eigenvalue of X^T X/n is "
            "its population value times a factor in [low, high]:",
            sp.Eq(sp.Symbol("low"), low),
            "Vershynin (2012), Corollary 5.35, for Z; then Ostrowski's theorem: D W D (W = "
            "Z^T Z/n) has the eigenvalues of W^(1/2) D^2 W^(1/2), which are those of D^2 times "
            "factors between the extreme eigenvalues of W")
    sh.step("and", sp.Eq(sp.Symbol("high"), high), "")
    sh.result("ls_factor_low", "least squares, finite n: lower eigenvalue factor (p = 1e-6)",
              low)
    sh.result("ls_factor_high", "least squares, finite n: upper eigenvalue factor (p = 1e-6)",
              high)
    return sh


def dataset(cfg) -> tuple[np.ndarray, np.ndarray]:
    """The seeded least-squares data: standard normal features, the first scaled by ``scale``,
    targets from a random linear model plus noise 0.1."""
    rng = np.random.default_rng(cfg["seed"])
    X = rng.standard_normal((cfg["n"], cfg["d"]))
    X[:, 0] *= cfg["scale"]
    w_true = rng.standard_normal(cfg["d"])
    return X, X @ w_true + 0.1 * rng.standard_normal(cfg["n"])


def _spectrum(h: np.ndarray) -> dict[str, float]:
    ev = np.linalg.eigvalsh(h)
    return {"L": float(ev[-1]), "mu": float(ev[0]), "kappa": float(ev[-1] / ev[0]),
            "stable_step": float(2 / ev[-1])}


def cross_checks(cfg) -> list[Check]:
    """numpy eigenvalues, finite differences and optsym's generated GD code."""
    res = DERIVATION.instantiate(cfg)
    out = []
    # (a): the instantiated formulas against numpy's eigenvalues of [[a, b], [b, c]]
    h = np.array([[cfg["a"], cfg["b"]], [cfg["b"], cfg["c"]]])
    num = _spectrum(h)
    rtol = 1e-13 * max(1.0, num["kappa"])
    num["optimal_step"] = 2 / (num["L"] + num["mu"])
    num["rate"] = float(np.linalg.norm(np.eye(2) - num["optimal_step"] * h, 2))
    for key in ("L", "mu", "kappa", "stable_step", "optimal_step", "rate"):
        how = "||I - eta H||_2 at eta = 2/(L + mu), numpy" if key == "rate" else \
            "numpy eigvalsh of the Hessian [[a, b], [b, c]]"
        out.append(Check(f"(a) {key} equals {how}",
                         bool(np.isclose(num[key], res[key], rtol=rtol, atol=0)), num[key],
                         res[key], f"{num[key]:.12g} vs {res[key]:.12g}"))
    cond = float(np.linalg.cond(h))
    out.append(Check("(a) kappa equals numpy's condition number (SVD) of the Hessian",
                     bool(np.isclose(cond, res["kappa"], rtol=rtol)), cond, res["kappa"],
                     f"{cond:.12g} vs {res['kappa']:.12g}"))
    start = np.random.default_rng(cfg["seed"]).standard_normal(2)
    out += stability_checks("(a) f(x, y)", lambda v: h @ v, start, np.zeros(2),
                            res["stable_step"])
    # (b): the seeded data set
    X, Y = dataset(cfg)
    nn = cfg["n"]

    def loss(w):
        r = X @ w - Y
        return float(r @ r) / (2 * nn)

    formula = _spectrum(X.T @ X / nn)
    # the loss's own Hessian by second differences (exact for a quadratic up to rounding)
    dd, eye = cfg["d"], np.eye(cfg["d"])
    fd = np.array([[loss(eye[j] + eye[k]) - loss(eye[j]) - loss(eye[k]) + loss(np.zeros(dd))
                    for k in range(dd)] for j in range(dd)])
    measured = _spectrum((fd + fd.T) / 2)
    for key in ("L", "mu", "kappa", "stable_step"):
        out.append(Check(f"(b) {key} of X^T X/n equals {key} of the loss's finite-difference "
                         "Hessian (numpy eigvalsh)", bool(np.isclose(
                             measured[key], formula[key], rtol=1e-7)), measured[key],
                         formula[key], f"{measured[key]:.10g} vs {formula[key]:.10g}"))
    cond = float(np.linalg.cond(X)) ** 2
    out.append(Check("(b) kappa of X^T X/n equals cond(X)^2 (numpy SVD of X)",
                     bool(np.isclose(cond, formula["kappa"], rtol=1e-9)), cond,
                     formula["kappa"], f"{cond:.10g} vs {formula['kappa']:.10g}"))
    w_opt = np.linalg.lstsq(X, Y, rcond=None)[0]
    out += stability_checks("(b) least squares", lambda w: X.T @ (X @ w - Y) / nn,
                            np.zeros(dd), w_opt, formula["stable_step"])
    lo, hi = res["ls_factor_low"], res["ls_factor_high"]
    bands = {"L": (lo, hi), "mu": (lo, hi),
             "kappa": (lo / hi, math.inf if lo == 0 else hi / lo)}
    for key, (f_lo, f_hi) in bands.items():
        ratio = formula[key] / res[f"ls_{key}_population"]
        out.append(Check(f"(b) the data's {key} over its population value lies in the "
                         "band of probability 1 - 1e-6", bool(f_lo <= ratio <= f_hi), ratio,
                         (f_lo, f_hi), f"{formula[key]:.6g} / {res[f'ls_{key}_population']:.6g}"
                         f" = {ratio:.4f} in [{f_lo:.4f}, {f_hi:.4f}]"))
    return out


DERIVATION = Derivation(
    name="condition-number", title="The condition number from a symbolic Hessian",
    doc=__doc__, params=PARAMS, build=build, cross_checks=cross_checks, checks=CHECKS,
    quadratic=entries_2x2, answer=("L", "mu", "kappa", "stable_step", "optimal_step", "rate"),
    assumptions=(r"(a) $a > 0$, $a c > b^2$ (positive definite)",
                 "(b) the rows of X are independent N(0, diag(s^2, 1, ..., 1))"))
