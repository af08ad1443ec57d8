"""Crash causes found by the hostile runs (issue 20), each with the behaviour that replaces it."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner

from optsym.cli import cli
from optsym.verify.bounds import evaluate_bound

#: the objective grammar's functions whose derivatives hold transcendental functions
TRANSCENDENTAL = ["exp(x/4+1/2)", "sin(x)", "cos(x)+x**2", "tan(x/2)+x**2", "sinh(x)",
                  "cosh(x)", "tanh(x)+x**2/2", "sigmoid(x)+x**2/2", "softplus(x)"]


@pytest.mark.parametrize("objective", TRANSCENDENTAL)
def test_verify_gd_over_every_transcendental_objective(run_cli, objective):
    """These ended in "no numeric rule for exp in a rounding bound"; now they are checked."""
    result = run_cli("verify", "gd", "--objective", objective, "--x0", "0.3", "--steps", "3")
    assert result.exit_code == 0, result.output
    assert "gd: 2/2 checks passed" in result.output


X, Y = sp.symbols("x y", real=True)
FUNCTIONS = [sp.exp, sp.log, sp.sin, sp.cos, sp.tan, sp.sinh, sp.cosh, sp.tanh, sp.asin,
             sp.acos, sp.atan]


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
def test_elementary_bound_is_the_first_order_formula(fn):
    r"""B(g(x y)) = 1 |x y g'(x y)| + 8 |g(x y)|: how the bound assembles, the product's one
    rounding carried through g' and g's own eight (4 ulp).  g' comes from SymPy here as in the
    bound, so this checks the assembly; the float32 test below is the independent check."""
    xs, ys = np.array([0.3, 0.55, 0.9]), np.array([0.7, 0.5, 0.2])
    z = sp.Symbol("z")
    g, dg = (sp.lambdify(z, e, "numpy") for e in (fn(z), sp.diff(fn(z), z)))
    expected = np.abs(xs * ys * dg(xs * ys)) + 8 * np.abs(g(xs * ys))
    got = evaluate_bound(fn(X * Y), set(), {"x": xs, "y": ys})
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
def test_elementary_bound_holds_for_float32(fn):
    """float32 evaluation of g(x y) lies within u B of the float64 value, where B is finite."""
    rng = np.random.default_rng(0)
    xs, ys = rng.uniform(0.1, 0.95, 2000), rng.uniform(0.1, 0.95, 2000)
    f32 = sp.lambdify((X, Y), fn(X * Y), "numpy")(xs.astype(np.float32), ys.astype(np.float32))
    exact = sp.lambdify((X, Y), fn(X * Y), "numpy")(xs.astype(np.float32).astype(np.float64),
                                                    ys.astype(np.float32).astype(np.float64))
    bound = evaluate_bound(fn(X * Y), set(), {"x": xs, "y": ys})
    u = 2.0**-24
    assert np.isfinite(bound).all()
    assert (np.abs(f32.astype(np.float64) - exact) <= u * bound).all()


@pytest.mark.parametrize("mu,L", [("1e-40", "1"), ("1e-300", "1e300")])
def test_plot_stability_at_a_huge_condition_number(run_cli, tmp_path, mu, L):
    """The optimal rate rounds to 1 there; this was "Geometric sequence cannot include zero"."""
    out = tmp_path / "s.png"
    result = run_cli("plot", "stability", "--mu", mu, "--L", L, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0


def test_fifteen_nested_sigmoids_are_refused_at_once():
    """The issue's 127-character case ran past 60 s for one step; it is refused, one line."""
    text = "x"
    for _ in range(15):
        text = f"sigmoid({text})"
    result = CliRunner().invoke(cli, ["example", "gd", "--f", text, "--x0", "1",
                                      "--steps", "1"])
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "nest more than" in result.stderr


def test_a_missing_choice_is_one_line():
    """Bare ``optsym clip`` printed click's three-line list of choices."""
    result = CliRunner().invoke(cli, ["clip"])
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "norm" in result.stderr and "value" in result.stderr


def test_race_refuses_a_racer_named_twice_in_another_case(tmp_path):
    """``--rules adam,ADAM`` raced adam twice; it is refused and no figure is written."""
    out = tmp_path / "race.png"
    result = CliRunner().invoke(cli, ["plot", "race", "--rules", "adam,ADAM", "-o", str(out)])
    assert result.exit_code == 2
    assert "twice" in result.stderr and result.stderr.strip().count("\n") == 0
    assert not out.exists()


def test_robbins_monro_cross_check_at_a_tiny_peak():
    """eta_max = 1e-300: lr^2 underflowed and the cross-check reported "converges" against the
    proof's "diverges" (the cosine tail of torch's CosineAnnealingLR is periodic, so both diverge)."""
    result = CliRunner().invoke(cli, ["schedule", "cosine", "--eta-max", "1e-300"])
    assert result.exit_code == 0, result.output
    assert "sum lr^2 diverges [agrees]" in result.output
    assert "DISAGREES" not in result.output


@pytest.mark.parametrize("power", ["1000", "1e6"])
def test_polynomial_decay_at_a_huge_power(power):
    """``--power 1e6`` ran past 60 s (SymPy's is_decreasing on (1 - k/N)^p, then zeta(-p) of
    degree 10^6). The budget is now checked against torch's own PolynomialLR."""
    import json

    import torch

    result = CliRunner().invoke(cli, ["schedule", "polynomial", "--power", power, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["monotonicity"]["overall"] == "non-increasing"
    horizon = data["budget"]["horizon"]
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=data["config"]["eta_max"])
    sched = torch.optim.lr_scheduler.PolynomialLR(opt, total_iters=data["config"]["total_iters"],
                                                  power=float(power))
    lrs = []
    for _ in range(horizon):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert data["budget"]["value"] == pytest.approx(sum(lrs), rel=1e-12)


def test_radam_foreach_with_eps_0_is_bitwise_and_its_nan_is_named():
    """torch's foreach RAdam divides 0 by -0.0 on an un-rectified step where v = 0 and eps = 0:
    NaN.  The parity form keeps torch's buffer on both branches (bitwise, NaN included); the
    textbook form stays finite there, which is reported as outside the bound's domain."""
    from optsym import api

    verdict = api.verify("radam", {"eps": 0.0}, steps=6, impl="foreach")
    by_backend = {(r.backend, r.dtype): r for r in verdict.results}
    assert all(r.passed for r in verdict.results), "\n".join(verdict.lines())
    assert by_backend[("torch-parity", "float32")].max_ulp == 0
    assert by_backend[("torch-parity", "float32")].criterion.startswith("bitwise")
    textbook = by_backend[("numpy", "float64")]
    assert textbook.outside_domain > 0 and "torch np.float64(nan)" in textbook.outside_first
    assert "outside the bound's domain" in "\n".join(verdict.lines())


def test_outside_the_domain_excuses_only_a_non_finite_reference():
    """torch non-finite (ours finite, or another non-finite value): outside the domain; ours
    NaN where torch is finite is still a failure (a wrong textbook form must not hide there)."""
    from optsym.verify.accumulate import Accumulator as _Accumulator

    tol = np.full((1, 3), 1e-6)
    torch_nan = _Accumulator()
    torch_nan.add(np.array([[1.0, 2.0, np.nan]]), np.array([[1.0, np.nan, np.inf]]),
                  ("param", 0), tol)
    assert torch_nan.first_failure is None and torch_nan.outside_domain == 2
    ours_nan = _Accumulator()
    ours_nan.add(np.array([[1.0, np.nan, 3.0]]), np.array([[1.0, 2.0, 3.0]]), ("param", 0), tol)
    assert ours_nan.first_failure is not None and ours_nan.outside_domain == 0


@pytest.mark.parametrize("args, message", [
    (["schedule", "step", "--step-size", "3", "--horizon", "10000000"],
     "holds 3333334 decay intervals"),
    (["verify", "step", "--step-size", "3", "--horizon", "10000000"],
     "holds 3333334 decay intervals"),
    (["plot", "race", "--steps", "100000", "-o", "race.png"], "1<=x<=20000"),
    (["plot", "convergence", "--steps", "100000", "-o", "c.png"], "1<=x<=20000"),
])
def test_work_that_grows_with_a_number_is_capped_with_the_cap_named(run_cli, args, message):
    """These ran past 60 s (3.3 million step-decay intervals each derived; 100,000-step races)."""
    result = run_cli(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_a_cosine_over_ten_million_steps_is_summed_in_float64():
    """One period of 2*10^7 steps was summed value by value in 50 digits (past 100 s); a long
    period is now summed vectorized, its squares scaled to a peak of 1 (7.5e-594 is below
    float64's range: the scale is put back in mpmath)."""
    from optsym import schedules
    from optsym.schedules.robbins_monro import robbins_monro

    spec = schedules.get("cosine")
    rm = robbins_monro(spec, spec.config({"T": 10_000_000, "eta_max": 1e-300}))
    # the exact sums of one period (k = 0..2T-1): T*eta_max (lr) and (3/4)*T*eta_max^2 (lr^2)
    assert rm.sum_lr == "diverges" and rm.sum_lr2 == "diverges" and rm.holds
    assert "one period sums to 1.0e-293 (lr) and 7.5e-594 (lr^2)" in rm.argument


@pytest.mark.parametrize("extra", [[], ["--json"]])
def test_compare_with_a_huge_momentum_shows_long_exact_numbers_by_value(run_cli, extra):
    """momentum 1e30 over 200 steps: exact iterates of about 6,000 digits, past Python's
    4,300-digit limit for printing an integer (an internal error before)."""
    result = run_cli("compare", "momentum", "--conventions", "torch,goodfellow", "--momentum",
                     "1e30", "--steps", "200", *extra)
    assert result.exit_code == 0, result.output
    assert "an exact rational of about" in result.output


@pytest.mark.parametrize("eps1, skipped", [(5.7e-39, 2), (1.1e-31, 2), (2e-19, 0), (0.0, 4)])
def test_adafactor_textbook_outside_its_float_domain_is_skipped_and_said(eps1, skipped):
    """The random sweep's Adafactor failures: eps1**2 below the dtype's smallest normal number
    (or eps1 = 0) makes the textbook clamp 0 and a zero variance 0/0.  Those textbook checks
    are not run and say why; parity stays bitwise; above the domain's edge all six run."""
    from optsym import api

    verdict = api.verify("adafactor", {"eps1": eps1, "maximize": True, "beta2_decay": -0.3},
                         steps=5)
    skips = [r for r in verdict.results if r.skipped]
    assert len(skips) == skipped and all(r.backend != "torch-parity" for r in skips)
    assert verdict.passed, "\n".join(verdict.lines())
    assert all(r.passed for r in verdict.results if r.backend == "torch-parity")
    if skipped:
        assert "SKIP: " in "\n".join(verdict.lines())


def test_the_special_stream_plants_every_hard_value():
    from optsym.verify.stream import SPECIAL, make_problem, special_problem

    plain, special = make_problem(6), special_problem(6)
    for (k, i, where), value in SPECIAL.items():
        got = special.grads[k - 1][i][where]
        assert (np.isnan(got) and np.isnan(value)) or (got == value and
                                                       np.signbit(got) == np.signbit(value))
    assert np.isnan(special.grads[-1][2]).all() and not np.isnan(plain.grads[-1][2]).any()
    assert all(np.array_equal(a, b) for a, b in zip(plain.params, special.params))


@pytest.mark.parametrize("rule, options", [("adam", {}), ("sgd", {"momentum": 0.9}),
                                           ("rmsprop", {"alpha": 0.9})])
def test_special_gradients_keep_parity_bitwise(rule, options):
    """0, -0, subnormals, 1e30, 3e38, inf, NaN and a NaN tensor: torch's order is reproduced
    bit for bit, NaN and inf patterns included; the textbook backends pass or say where torch
    left real arithmetic."""
    from optsym import api

    verdict = api.verify(rule, options, steps=6, grad_stream="special")
    assert verdict.passed, "\n".join(verdict.lines())
    parity = [r for r in verdict.results if r.backend == "torch-parity"]
    assert parity and all(r.criterion.startswith("bitwise") and r.passed for r in parity)


def test_special_gradients_model_the_fused_amsgrad_scalar_tail():
    """torch's fused AMSGrad keeps max_exp_avg_sq where the gradient is NaN in the scalar tail
    of its loop (a 1-element tensor is all tail): the parity form models it (FusedCpuMax), and
    the textbook backends count that element as outside the bound's domain (a NaN input)."""
    from optsym import api

    verdict = api.verify("adam", {"amsgrad": True}, steps=6, impl="fused",
                         grad_stream="special", dtypes=("float64",))
    assert verdict.passed, "\n".join(verdict.lines())
    assert all(r.outside_domain for r in verdict.results if r.backend != "torch-parity")


def test_fused_amsgrad_model_fails_without_the_scalar_tail(monkeypatch):
    """Mutation: the fused form with torch.maximum everywhere carries the NaN where torch's
    scalar loop keeps the old maximum, and the parity check names that element."""
    from optsym import api
    from optsym.ops import FusedCpuMax

    monkeypatch.delattr(FusedCpuMax, "print_torch")
    verdict = api.verify("adam", {"amsgrad": True}, steps=6, impl="fused",
                         grad_stream="special", dtypes=("float64",),
                         backends=("torch-parity",))
    fails = [r.failure for r in verdict.results if not r.passed]
    assert fails and all("step 6, max_exp_avg_sq[2]" in f for f in fails), fails


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", [1, 3, 4, 7, 8, 9, 17, 33, 100])
def test_fused_amsgrad_nan_pattern_matches_torch(dtype, n):
    """A NaN gradient at step 2 on an n-element tensor: the generated fused form keeps the old
    maximum exactly where torch's fused kernel does (the last n mod (32 bytes / itemsize)
    elements, whatever the tensor's length)."""
    import inspect

    import torch

    from optsym import rules
    from optsym.codegen.module import generate, load

    rule = rules.get("adam")
    cfg = rule.config({"amsgrad": True})
    ns = load(generate(rule, cfg, "torch-parity", "fused"), "optsym_fused_tail")
    tdtype = getattr(torch, dtype)
    p = torch.zeros(n, dtype=tdtype, requires_grad=True)
    opt = torch.optim.Adam([p], amsgrad=True, fused=True)
    ours = [torch.zeros(n, dtype=tdtype)]
    state = {"step": 0, "exp_avg": [torch.zeros(n, dtype=tdtype)],
             "exp_avg_sq": [torch.zeros(n, dtype=tdtype)],
             "max_exp_avg_sq": [torch.zeros(n, dtype=tdtype)]}
    kwargs = {k: cfg[k] for k in inspect.signature(ns["step"]).parameters
              if k not in ("params", "grads", "state")}
    for grad in (torch.ones(n, dtype=tdtype), torch.full((n,), float("nan"), dtype=tdtype)):
        p.grad = grad.clone()
        opt.step()
        ns["step"](ours, [grad.clone()], state, **kwargs)
    theirs = opt.state[p]["max_exp_avg_sq"]
    assert torch.equal(torch.isnan(state["max_exp_avg_sq"][0]), torch.isnan(theirs))
    assert 0 < int(torch.isnan(theirs).sum()) or n < 32 // theirs.element_size()


def test_grad_stream_needs_four_steps(run_cli):
    result = run_cli("verify", "adam", "--grad-stream", "special", "--steps", "3")
    assert result.exit_code == 2 and "--steps >= 4" in result.stderr


def test_special_gradients_overflow_centered_rmsprops_textbook_form_in_float32():
    """A gradient of 1e30 in float32: the textbook centered variance g**2 - avg**2 overflows
    (inf - inf = NaN) where torch's order stays finite; the bound has no meaning where an
    intermediate exceeds float32's range, so the element is outside the bound's domain (named),
    not a FAIL; torch-parity stays bitwise."""
    from optsym import api

    verdict = api.verify("rmsprop", {"centered": True}, steps=6, grad_stream="special",
                         dtypes=("float32",))
    by = {r.backend: r for r in verdict.results}
    assert by["torch-parity"].passed
    assert by["numpy"].passed and "step 1, param[0][0, 4]" in by["numpy"].outside_first


def test_an_overflowing_intermediate_leaves_the_bounds_domain():
    """B(g**2 + 1) at g = 1e30 with float32's largest number: NaN (g**2 = 1e60 overflows
    float32); at g = 1e10 (g**2 = 1e20) and without ``huge``: finite."""
    from optsym.spec import g

    big = float(np.finfo(np.float32).max)
    values = {"grad": np.array([1e30, 1e10])}
    out = evaluate_bound(g**2 + 1, set(), values, 2.0**-24, huge=big)
    assert np.isnan(out[0]) and np.isfinite(out[1])
    assert np.isfinite(evaluate_bound(g**2 + 1, set(), values, 2.0**-24)).all()
    assert np.isfinite(evaluate_bound(g**2 + sp.Integer(1), set(), values, 2.0**-24,
                                      huge=float(np.finfo(np.float64).max))).all()


@pytest.mark.parametrize("rule, path, options, seed", [
    # a gradient of ~1e-20 squared underflows to a subnormal under 1/sqrt(v): underflow's
    # absolute error u*tiny per rounding, amplified by the sensitivity
    ("nadam", "single", {"lr": 0.45, "beta1": 0.329, "beta2": 1.79e-31, "eps": 7.86e-28,
                         "weight_decay": 0.426, "momentum_decay": 0.0194,
                         "decoupled_weight_decay": True, "maximize": True}, 822),
    ("adamw", "foreach", {"lr": 0.00895, "beta1": 0.518, "beta2": 2.28e-30, "eps": 1.54e-39,
                          "weight_decay": 0.47}, 258),
    ("adam", "fused", {"lr": 0.486, "beta1": 0.469, "beta2": 7.61e-35, "eps": 6.08e-39,
                       "weight_decay": 6.34e-32, "amsgrad": True}, 516),
    # centered RMSprop at a tiny alpha: sqrt(g^2 - avg^2) of a value within rounding of 0
    ("rmsprop", "single", {"lr": 0.292, "alpha": 0.000231, "eps": 0.000291,
                           "weight_decay": 0.125, "momentum": 0.627, "centered": True}, 884),
    # ... and at alpha = 1e-10 .. 3e-7: either order's root of a value rounded below 0 (NaN)
    # is outside the bound's domain, not a failure
    ("rmsprop", "foreach", {"lr": 0.0296, "alpha": 2.92e-07, "eps": 0.00366,
                            "weight_decay": 0.328, "momentum": 0.575, "centered": True}, 452),
    # alpha = 1 while the iterate diverges to 1e24: the textbook g^2 overflows float32
    ("rmsprop", "single", {"lr": 0.00349, "alpha": 1.0, "eps": 6.43e-07, "weight_decay": 0.32,
                           "momentum": 6.77e-30, "maximize": True}, 565),
    # LAMB at beta1 = 7.8e-28: an update of 1e-27 whose float32 sum of squares underflowed in
    # numpy.linalg.norm (norm 0: the trust ratio's other branch); squares now summed in float64
    ("lamb", "foreach", {"lr": 0.0312, "beta1": 7.79e-28, "beta2": 0.351,
                         "weight_decay": 0.212, "eps": 3.46e-28, "weight_decouple": True}, 433),
    # ... and an update element of 2.6e19 (v ~ 1e-18 g^2): the norm's square overflows float32
    # in torch's vector_norm (inf, trust ratio 0), not in numpy's float64 sum: outside the
    # bound's domain (the 2026-12-04 sweep's one failure)
    ("lamb", "single", {"lr": 0.00013, "beta1": 0.092, "beta2": 1.13e-18, "weight_decay": 0.285,
                        "eps": 9.37e-30, "weight_decouple": True, "grad_averaging": False,
                        "maximize": True}, 823),
    # AdamW with v subnormal (beta2 ~ 1e-35): the square root of a value within underflow's
    # rounding of 0 (but not exactly 0) is outside the bound's domain; a stricter first
    # version of the review fix failed these two
    ("adamw", "single", {"lr": 0.552, "beta1": 0.322, "beta2": 1.19e-35, "eps": 2.72e-38,
                         "weight_decay": 0.353}, 327),
    ("adamw", "fused", {"lr": 2.73e-08, "beta1": 0.939, "beta2": 1.32e-39, "eps": 1.01e-37,
                        "weight_decay": 0.00923}, 487),
])
def test_random_sweep_failures_at_extreme_values_are_within_the_bound(rule, path, options,
                                                                      seed):
    """Failures of the wide random parity sweep (benchmarks/parity_sweep.py --seed 2): the
    rounding bound now covers underflow and a square root of a value within rounding of 0, and
    the numpy backend's norm no longer underflows."""
    from optsym import api

    verdict = api.verify(rule, options, steps=30, dtypes=("float32",), seed=seed,
                         impl=None if path == "single" else path)
    assert verdict.passed, "\n".join(verdict.lines())


def test_a_pole_in_a_wrong_textbook_form_still_fails():
    """Review finding: theta - lr*(m/sqrt(v))/(1 + eps/sqrt(v)) equals Adam wherever v > 0 but
    is 0/0 where v = 0 (a zero gradient on step 1). A division by an exact 0 is a pole of the
    formula, not an overflow, and the square root of exact zeros cannot round below 0: the
    element is a FAIL, not outside the bound's domain."""
    import dataclasses

    from optsym import rules
    from optsym.api import verify_rule
    from optsym.rules import adam as A
    from optsym.spec import Assign, theta

    adam = rules.get("adam")
    eps = adam.hyper("eps").symbol

    def textbook(cfg):
        eqs = A.textbook(cfg)
        last = max(i for i, e in enumerate(eqs) if e.target == theta)  # the update itself
        wrong = theta - A.lr * (A.m_hat / sp.sqrt(A.v_hat)) / (1 + eps / sp.sqrt(A.v_hat))
        return tuple(Assign(e.target, wrong, e.note) if i == last else e
                     for i, e in enumerate(eqs))

    verdict = verify_rule(dataclasses.replace(adam, textbook=textbook), {}, steps=5,
                          backends=("numpy",), dtypes=("float32",))
    assert not verdict.report.passed and "NaN on one side" in verdict.report.results[0].failure


def test_asgd_horizon_follows_torchs_float_arithmetic():
    """1 + lambd*lr*t in Python floats is exactly 0.0 at t = 9 for lambd = -1.111111111111111,
    lr = 0.1 (the exact product reaches 0 only at t = 10): 9 steps are refused, 8 run."""
    assert 1 + -1.111111111111111 * 0.1 * 9 <= 0 < 1 + -1.111111111111111 * 0.1 * 8
    result = CliRunner().invoke(cli, ["verify", "asgd", "--lambd", "-1.111111111111111",
                                      "--lr", "0.1", "--steps", "9"])
    assert result.exit_code == 2 and "at step 9" in result.output
    result = CliRunner().invoke(cli, ["verify", "asgd", "--lambd", "-1.111111111111111",
                                      "--lr", "0.1", "--steps", "8"])
    assert result.exit_code == 0, result.output


def test_asgd_horizon_holds_in_the_dynamics_runner():
    from optsym.dynamics.stepper import objective_stream, run_stream
    from optsym.objective import parse_objective
    from optsym.spec import SpecError

    with pytest.raises(SpecError, match="reaches below 0 at step 10"):
        run_stream("asgd", {"lambd": -1.0, "lr": 0.1}, (1.0, 1.0), 20,
                   objective_stream(parse_objective("x^2 + y^2")))


@pytest.mark.parametrize("name, option, message", [
    ("gd", "lr", "option --lr expects a finite number"),
    ("minibatch-sgd", "weight_decay", "option --weight-decay expects a finite number"),
    ("sam", "eps", "eps must be a finite number > 0")])
def test_objective_rules_refuse_a_non_finite_option_by_name(name, option, message):
    from optsym.objective_rules import verify_objective_rule
    from optsym.spec import SpecError

    with pytest.raises(SpecError, match=message):
        verify_objective_rule(name, steps=2, options={option: float("inf")})
