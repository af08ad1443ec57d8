"""Learning-rate schedules at library level: every schedule against torch's schedulers (bitwise
parity, the closed form within its bound), the proofs, mutations that must be caught, torch's
step conventions, and the derived properties checked against independent sums.

Expected values come from torch (``torch_lrs``) or from arithmetic written out here, never from
optsym's own output.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import pytest
import sympy as sp

from optsym import schedules
from optsym.schedules.codegen import load_lrs
from optsym.schedules.proof import every_step, induction
from optsym.schedules.properties import boundaries, budget, monotonicity, properties
from optsym.schedules.spec import k
from optsym.verify.schedule import default_steps, verify_schedule
from optsym.verify.schedule_reference import ADAPTERS, torch_lrs

# (schedule, overrides, steps or None for the default: the horizon plus a tenth)
DEFAULTS = [(name, {}, None) for name in schedules.names()]
NON_DEFAULT = [
    ("constant", {"factor": 0.5}, None),
    ("constant", {"factor": 0.3, "total_iters": 3, "eta_max": 0.7, "horizon": 20}, None),
    ("linear", {"start_factor": 1.0, "end_factor": 0.25, "total_iters": 8, "horizon": 30}, None),
    ("linear", {"start_factor": 0.3, "end_factor": 0.9, "total_iters": 13, "eta_max": 0.05,
                "horizon": 30}, None),
    ("warmup", {"warmup": 4, "start_factor": 0.25, "horizon": 20}, None),
    ("warmup", {"warmup": 7, "start_factor": 1 / 3, "horizon": 20}, None),
    ("step", {"step_size": 7, "horizon": 40}, None),
    ("step", {"step_size": 7, "gamma": 0.5, "eta_max": 0.3, "horizon": 40}, None),
    ("multistep", {"milestones": (3, 3, 7), "horizon": 20}, None),
    ("multistep", {"milestones": (7, 3, 3, 12), "gamma": 0.5, "horizon": 20}, None),
    ("exponential", {"gamma": 0.95, "horizon": 50}, None),
    ("polynomial", {"power": 2.0, "total_iters": 12, "horizon": 20}, None),
    ("polynomial", {"power": 3.0, "total_iters": 9, "horizon": 20}, None),
    ("inverse-time", {"decay": 0.3, "eta_max": 0.5, "horizon": 50}, None),
    ("inverse-sqrt", {"warmup": 4, "horizon": 60}, None),
    ("cosine", {"eta_min": 0.01, "T": 7}, 42),  # three periods of 2T
    ("cosine", {"eta_min": 0.001, "T": 100}, None),
    ("cosine", {"T": 1}, 10),  # the zero-denominator case at every odd k
    pytest.param("cosine-restarts", {"T_0": 3, "T_mult": 2, "horizon": 40}, None,
                 id="cosine-restarts-T_mult2"),
    ("cosine-restarts", {"T_0": 5, "eta_min": 0.01, "horizon": 30}, None),
    ("warmup-cosine", {"eta_min": 0.005, "warmup": 3, "T": 20}, None),
    ("warmup-cosine", {"eta_min": 0.02, "warmup": 10, "T": 30}, None),
    ("onecycle", {"anneal": "linear", "total_steps": 37, "pct_start": 0.25}, None),
    ("onecycle", {"anneal": "cos", "total_steps": 37, "pct_start": 0.25}, None),
    ("onecycle", {"total_steps": 10, "pct_start": 0.3}, None),  # 0.3 * 10 = 3.0000000000000004
    ("cyclic", {"mode": "triangular", "step_size_up": 4, "step_size_down": 7, "horizon": 50},
     None),
    ("cyclic", {"mode": "triangular2", "step_size_up": 4, "step_size_down": 7, "horizon": 50},
     None),
    ("cyclic", {"mode": "exp_range", "gamma": 0.99, "step_size_up": 5, "horizon": 50}, None),
    ("cyclic", {"mode": "exp_range", "gamma": 0.99, "step_size_up": 3, "step_size_down": 6,
                "horizon": 50}, None),
]


def _id(case) -> str:
    name, overrides, _ = case
    return name + ("" if not overrides else "-" + "-".join(
        f"{key}={','.join(map(str, v)) if isinstance(v, tuple) else v}"
        for key, v in overrides.items()))


CASES = DEFAULTS + NON_DEFAULT
IDS = [_id(c) if type(c) is tuple else None for c in CASES]  # pytest.param: its own id


def _setup(name, overrides, steps):
    spec = schedules.get(name)
    cfg = spec.config(overrides)
    return spec, cfg, steps or default_steps(spec, cfg)


def test_every_registered_schedule_has_its_name_and_a_torch_reference():
    assert {"cosine", "step", "warmup-cosine"} <= set(schedules.names())
    assert [s.name for s in schedules.all_schedules()] == schedules.names()
    assert set(schedules.names()) == set(ADAPTERS)  # each has a torch reference


# ---- 1. every schedule against torch ------------------------------------------------------
@pytest.mark.parametrize(("name", "overrides", "steps"), CASES, ids=IDS)
def test_verify_schedule_against_torch(name, overrides, steps):
    spec, cfg, n = _setup(name, overrides, steps)
    report = verify_schedule(spec, cfg, n)
    checks = {c.form: c for c in report.checks}
    assert set(checks) == {"torch-parity", "closed"}
    parity, closed = checks["torch-parity"], checks["closed"]
    assert parity.steps == n and parity.parted == 0 and parity.max_ulp == 0 and parity.passed
    assert closed.passed, closed.failure
    assert closed.worst_ratio is not None and closed.worst_ratio <= 1
    assert report.passed
    # independently of the comparison code: the generated lists against torch's list
    ref = torch_lrs(name, cfg, n)
    assert load_lrs(spec, cfg, "torch-parity")(n) == ref
    ours = load_lrs(spec, cfg, "closed")(n)
    scale = max(abs(x) for x in ref)
    assert all(abs(a - b) <= 1e-12 * scale for a, b in zip(ours, ref))


@pytest.mark.parametrize(("name", "overrides", "steps"), CASES, ids=IDS)
def test_proofs_hold(name, overrides, steps):
    spec, cfg, n = _setup(name, overrides, steps)
    exact = every_step(spec, cfg, n)
    assert exact.steps == n and exact.holds, exact
    assert exact.max_diff <= 1e-40
    obligations = induction(spec, cfg)
    assert all(ob.holds for ob in obligations), [ob for ob in obligations if not ob.holds]
    if not spec.torch(cfg).closed:  # torch recurses: there is an induction step to prove
        assert obligations


def test_duplicated_milestone_counts_twice_as_in_torch():
    """MultiStepLR keeps a Counter: milestones (3, 3, 7) give gamma^2 at k = 3."""
    spec = schedules.get("multistep")
    cfg = spec.config({"milestones": (3, 3, 7), "gamma": 0.5, "eta_max": 0.8})
    ref = torch_lrs("multistep", cfg, 9)
    assert ref == [0.8, 0.8, 0.8, 0.2, 0.2, 0.2, 0.2, 0.1, 0.1]  # exact in binary
    assert load_lrs(spec, cfg, "closed")(9) == ref


def test_constant_factor_is_applied_then_undone():
    spec = schedules.get("constant")
    cfg = spec.config({"factor": 0.5, "total_iters": 3})
    ref = torch_lrs("constant", cfg, 6)
    assert ref == [0.05, 0.05, 0.05, 0.1, 0.1, 0.1]
    assert load_lrs(spec, cfg, "torch-parity")(6) == ref


# ---- 2. teeth: mutated schedules must be caught --------------------------------------------
def _one_earlier(x):
    return x if x == 0 or x == sp.oo else x - 1


def _shifted(spec):
    """The closed form one step ahead, eta'_k = eta_{k+1}: k -> k + 1 in every phase's formula
    and every phase boundary one step earlier (and the same in the formula)."""
    def phases(cfg):
        return tuple(dataclasses.replace(p, start=_one_earlier(p.start), end=_one_earlier(p.end),
                                         expr=p.expr.subs(k, k + 1)) for p in spec.phases(cfg))

    formula = None if spec.formula is None else (lambda cfg: spec.formula(cfg).subs(k, k + 1))
    return dataclasses.replace(spec, phases=phases, formula=formula)


def _scaled(spec, factor):
    """The closed form times ``factor`` (a relative perturbation)."""
    def phases(cfg):
        return tuple(dataclasses.replace(p, expr=p.expr * factor) for p in spec.phases(cfg))

    formula = None if spec.formula is None else (lambda cfg: spec.formula(cfg) * factor)
    return dataclasses.replace(spec, phases=phases, formula=formula)


SHIFTED = [
    ("cosine", {"eta_min": 0.01, "T": 7}),
    ("step", {"step_size": 7, "horizon": 30}),
    ("multistep", {"milestones": (3, 3, 7), "horizon": 20}),
    ("constant", {"factor": 0.5, "horizon": 20}),
    ("warmup", {"warmup": 4, "horizon": 20}),
    ("warmup-cosine", {"warmup": 3, "T": 20, "eta_min": 0.005}),
    ("inverse-sqrt", {"warmup": 4, "horizon": 30}),
    ("exponential", {"horizon": 30}),
    ("onecycle", {"anneal": "linear", "total_steps": 37, "pct_start": 0.25}),
    ("cyclic", {"mode": "triangular2", "step_size_up": 4, "step_size_down": 7, "horizon": 40}),
    ("cosine-restarts", {"T_0": 5, "horizon": 30}),
]


@pytest.mark.parametrize(("name", "overrides"), SHIFTED, ids=[n for n, _ in SHIFTED])
def test_closed_form_off_by_one_is_caught(name, overrides):
    spec = schedules.get(name)
    cfg = spec.config(overrides)
    bad = _shifted(spec)
    n = default_steps(spec, cfg)
    report = verify_schedule(bad, cfg, n)
    checks = {c.form: c for c in report.checks}
    assert checks["torch-parity"].passed  # torch's form is untouched
    assert not checks["closed"].passed and not report.passed
    assert checks["closed"].failure and checks["closed"].first_parted is not None
    assert not every_step(bad, cfg, n).holds


@pytest.mark.parametrize("name", ["exponential", "step"])
def test_wrong_gamma_in_torch_form_is_caught(name):
    spec = schedules.get(name)
    cfg = spec.config({"horizon": 40, **({"step_size": 7} if name == "step" else {})})
    gam = spec.param("gamma").symbol

    def torch_form(c):
        tf = spec.torch(c)
        return dataclasses.replace(tf, branches=tuple(
            dataclasses.replace(b, expr=b.expr.subs(gam, gam * sp.Rational(1001, 1000)))
            for b in tf.branches))

    bad = dataclasses.replace(spec, torch=torch_form)
    report = verify_schedule(bad, cfg, 40)
    parity = report.checks[0]
    assert parity.form == "torch-parity"
    assert not parity.passed and parity.parted > 0 and parity.max_ulp > 0
    assert not every_step(bad, cfg, 40).holds
    # the symbolic induction step sees it too (for the case that multiplies by gamma)
    if name == "exponential":
        assert not all(ob.holds for ob in induction(bad, cfg))


def test_multistep_counting_a_duplicate_once_is_caught():
    """torch multiplies by gamma^2 at a milestone listed twice; a form using gamma^1 parts."""
    spec = schedules.get("multistep")
    cfg = spec.config({"milestones": (3, 3, 7), "horizon": 20})
    gam = spec.param("gamma").symbol

    def torch_form(c):
        tf = spec.torch(c)
        return dataclasses.replace(tf, branches=tuple(
            dataclasses.replace(b, expr=b.expr.subs(gam**2, gam)) for b in tf.branches))

    bad = dataclasses.replace(spec, torch=torch_form)
    report = verify_schedule(bad, cfg, 20)
    assert not report.checks[0].passed and report.checks[0].first_parted == 3
    assert not every_step(bad, cfg, 20).holds


def test_cosine_zero_denominator_branch_is_needed():
    """Without torch's k - 1 = T (mod 2T) case the recursion divides by 1 + cos(pi) = 0 at
    k = T + 1; the symbolic induction step alone does not see it, the exact run does."""
    spec = schedules.get("cosine")
    cfg = spec.config({"T": 7, "eta_min": 0.01})

    def without(c):
        tf = spec.torch(c)
        return dataclasses.replace(tf, branches=tf.branches[1:])

    def wrong(c):  # the branch kept, but leaving the lr unchanged
        tf = spec.torch(c)
        first = dataclasses.replace(tf.branches[0], expr=sp.Symbol("lr", real=True))
        return dataclasses.replace(tf, branches=(first, *tf.branches[1:]))

    bad = dataclasses.replace(spec, torch=without)
    assert all(ob.holds for ob in induction(bad, cfg))  # general k: the step is right
    assert every_step(bad, cfg, 8).holds  # k <= T: the branch not yet needed
    with pytest.raises(ZeroDivisionError):
        every_step(bad, cfg, 9)
    with pytest.raises(ZeroDivisionError):
        verify_schedule(bad, cfg, 9)

    worse = dataclasses.replace(spec, torch=wrong)
    report = verify_schedule(worse, cfg, 42)
    assert not report.checks[0].passed and report.checks[0].first_parted == 8
    assert not every_step(worse, cfg, 42).holds


@pytest.mark.parametrize(("name", "overrides"), [
    ("cosine", {"eta_min": 0.001, "T": 100}),  # torch recurses: the loosest bound
    ("inverse-time", {"horizon": 30}),  # torch evaluates a closed form
    ("step", {"step_size": 7, "gamma": 0.5, "horizon": 30}),
    ("warmup-cosine", {"warmup": 3, "T": 20, "eta_min": 0.005}),
])
def test_closed_tolerance_is_not_vacuous(name, overrides):
    spec = schedules.get(name)
    cfg = spec.config(overrides)
    n = default_steps(spec, cfg)
    assert verify_schedule(spec, cfg, n).passed  # the control
    off = _scaled(spec, 1 + sp.Rational(1, 10**13))
    ours = load_lrs(off, cfg, "closed")(n)
    assert ours != load_lrs(spec, cfg, "closed")(n)  # the perturbation is visible in doubles
    report = verify_schedule(off, cfg, n)
    closed = report.checks[1]
    assert closed.form == "closed" and not closed.passed and closed.worst_ratio > 1
    assert report.checks[0].passed


def test_closed_bound_does_real_work():
    """The closed form parts from torch's recursion in floating point: the bound is used."""
    spec = schedules.get("cosine")
    closed = verify_schedule(spec, spec.config({"eta_min": 0.001})).checks[1]
    assert closed.parted > 0 and closed.max_ulp > 0 and 0 < closed.worst_ratio <= 1


# ---- 3. step conventions against torch ------------------------------------------------------
@pytest.mark.parametrize(("warmup", "start"), [(10, 0.1), (4, 0.25), (7, 1 / 3)])
def test_linear_warmup_convention(warmup, start):
    """LinearLR: the first lr is start_factor * eta; the peak is reached at k = warmup."""
    spec = schedules.get("warmup")
    cfg = spec.config({"warmup": warmup, "start_factor": start, "horizon": 20})
    eta = cfg["eta_max"]
    ref = torch_lrs("warmup", cfg, warmup + 3)
    assert ref[0] == start * eta
    # torch reaches eta by a product of rounded factors: within a few ULP, not always exact
    assert abs(ref[warmup] - eta) <= 8 * math.ulp(eta)
    assert ref[warmup - 1] < eta * (1 - 0.5 * (1 - start) / warmup)  # still rising at W - 1
    assert all(ref[j] < ref[j + 1] for j in range(warmup - 1))
    assert ref[warmup] == ref[warmup + 1] == ref[warmup + 2]  # then held
    ours = load_lrs(spec, cfg, "closed")(warmup + 3)
    assert ours[0] == pytest.approx(start * eta, rel=1e-15)
    assert ours[warmup] == pytest.approx(eta, rel=1e-15)
    assert ours[warmup - 1] == pytest.approx(eta * (start + (1 - start) * (warmup - 1) / warmup),
                                             rel=1e-14)


@pytest.mark.parametrize(("name", "overrides"), [
    ("warmup-cosine", {"warmup": 3, "T": 20, "eta_min": 0.005}),
    ("warmup-cosine", {"warmup": 10, "T": 30}),
    ("inverse-sqrt", {"warmup": 4, "horizon": 20}),
    ("inverse-sqrt", {"warmup": 10, "horizon": 30}),
])
def test_warmup_from_zero_convention(name, overrides):
    spec = schedules.get(name)
    cfg = spec.config(overrides)
    w, eta = cfg["warmup"], cfg["eta_max"]
    ref = torch_lrs(name, cfg, w + 3)
    assert ref[0] == 0.0
    assert ref[w] == pytest.approx(eta, rel=4e-16)
    assert max(ref) == ref[w]  # the peak is at k = warmup
    assert ref[w - 1] == pytest.approx(eta * (w - 1) / w, rel=1e-15)
    assert ref[w + 1] < ref[w]
    ours = load_lrs(spec, cfg, "closed")(w + 3)
    assert ours[0] == 0.0 and ours[w] == pytest.approx(eta, rel=4e-16)
    assert ours[w - 1] == pytest.approx(eta * (w - 1) / w, rel=1e-15)


@pytest.mark.parametrize(("T", "eta_min"), [(7, 0.01), (100, 0.001), (100, 0.0), (12, 0.05)])
def test_cosine_reaches_eta_min_at_T_and_is_periodic(T, eta_min):
    spec = schedules.get("cosine")
    cfg = spec.config({"T": T, "eta_min": eta_min})
    eta = cfg["eta_max"]
    ref = torch_lrs("cosine", cfg, 4 * T + 1)
    tiny = 4 * math.ulp(eta)
    assert abs(ref[T] - eta_min) <= tiny
    assert min(ref) >= eta_min - tiny
    # past T torch follows the cosine back up: eta at 2T, eta_min at 3T, eta at 4T
    assert ref[2 * T] == pytest.approx(eta, rel=1e-13)
    assert abs(ref[3 * T] - eta_min) <= 64 * tiny
    assert ref[4 * T] == pytest.approx(eta, rel=1e-13)
    for j in range(1, T):  # symmetric about T
        assert ref[T + j] == pytest.approx(ref[T - j], rel=1e-12, abs=1e-15)
    # and against the cosine written out
    for j in (0, T // 3, T // 2, T, T + 1, 2 * T - 1):
        expected = eta_min + (eta - eta_min) * (1 + math.cos(math.pi * j / T)) / 2
        assert ref[j] == pytest.approx(expected, rel=1e-12, abs=1e-15)
    ours = load_lrs(spec, cfg, "closed")(4 * T + 1)
    assert abs(ours[T] - eta_min) <= tiny and ours[2 * T] == pytest.approx(eta, rel=1e-13)


def test_onecycle_peak_with_fractional_rise():
    """pct_start * total_steps = 9.25: torch's first phase ends at 8.25, so k = 8 still rises."""
    spec = schedules.get("onecycle")
    cfg = spec.config({"anneal": "linear", "total_steps": 37, "pct_start": 0.25})
    ref = torch_lrs("onecycle", cfg, 37)
    eta = cfg["eta_max"]
    initial = eta / 25.0
    assert ref[0] == pytest.approx(initial, rel=1e-15)
    assert ref[8] == pytest.approx(initial + (eta - initial) * 8 / 8.25, rel=1e-14)
    # the peak eta lies between steps 8 and 9: no step reaches it
    assert ref[8] < ref[9] < eta and max(ref) == ref[9]
    low = initial / 1e4
    assert ref[-1] == pytest.approx(low, rel=1e-12)
    assert ref[9] == pytest.approx(eta + (low - eta) * (9 - 8.25) / (36 - 8.25), rel=1e-14)


# ---- 4. properties -------------------------------------------------------------------------
BUDGETS = [(name, {}) for name in schedules.names()] + [
    ("constant", {"factor": 0.5, "horizon": 20}),
    ("linear", {"start_factor": 1.0, "end_factor": 0.25, "total_iters": 8, "horizon": 30}),
    ("warmup", {"warmup": 4, "start_factor": 0.25, "horizon": 20}),
    ("step", {"step_size": 7, "horizon": 40}),
    ("multistep", {"milestones": (3, 3, 7), "horizon": 20}),
    ("polynomial", {"power": 2.0, "total_iters": 12, "horizon": 20}),
    ("inverse-sqrt", {"warmup": 4, "horizon": 60}),
    ("cosine", {"eta_min": 0.01, "T": 7}),
    ("warmup-cosine", {"eta_min": 0.005, "warmup": 3, "T": 20}),
    ("onecycle", {"anneal": "linear", "total_steps": 37, "pct_start": 0.25}),
    ("cyclic", {"mode": "exp_range", "gamma": 0.99, "step_size_up": 5, "horizon": 50}),
    pytest.param("polynomial", {"power": 0.5, "total_iters": 9, "horizon": 20},
                 id="polynomial-power=0.5"),
    pytest.param("warmup-cosine", {"warmup": 0, "T": 20},
                 id="warmup-cosine-warmup=0"),
]


@pytest.mark.parametrize(("name", "overrides"), BUDGETS,
                         ids=[_id((*b, None)) if type(b) is tuple else None
                              for b in BUDGETS])
def test_budget_equals_the_sum_of_torchs_rates(name, overrides):
    spec = schedules.get(name)
    cfg = spec.config(overrides)
    b = budget(spec, cfg)
    h = spec.horizon(cfg)
    expected = math.fsum(torch_lrs(name, cfg, h))
    assert b.horizon == h
    assert b.value == pytest.approx(expected, rel=1e-12)
    assert b.mean == pytest.approx(expected / h, rel=1e-12)
    assert b.holds


def test_cosine_budget_formula_is_the_textbook_one():
    spec = schedules.get("cosine")
    for overrides, value in (({}, 5.05), ({"eta_min": 0.001}, 5.0995)):
        cfg = spec.config(overrides)
        b = budget(spec, cfg)
        assert b.formula is not None and b.method.startswith("symbolic")
        eta, lo, T = (spec.param(n).symbol for n in ("eta_max", "eta_min", "T"))
        parsed = sp.sympify(b.formula, locals={s.name: s for s in (eta, lo, T)})
        expected = T * (eta + lo) / 2 + (eta - lo) / 2
        assert sp.simplify(parsed - expected) == 0
        # T = 100: 100 * (0.1 + eta_min) / 2 + (0.1 - eta_min) / 2, by hand
        assert b.value == pytest.approx(value, rel=1e-13)
    # a wrong formula would not simplify to 0 (the comparison has teeth)
    assert sp.simplify(parsed - (T * (eta + lo) / 2)) != 0


def test_warmup_cosine_is_continuous_at_the_warmup():
    spec = schedules.get("warmup-cosine")
    cfg = spec.config({"warmup": 3, "T": 20, "eta_min": 0.005})
    found = {b.k: b for b in boundaries(spec, cfg)}
    assert set(found) == {3, 20}
    ref = torch_lrs("warmup-cosine", cfg, 22)
    at = found[3]
    assert at.continuous and abs(at.jump) <= 1e-15
    assert at.value == pytest.approx(0.1, rel=1e-15)
    assert at.numeric == pytest.approx((ref[2], ref[3]), rel=1e-14)
    assert sp.simplify(sp.sympify(at.jump_formula)) == 0
    end = found[20]  # the cosine lands on eta_min at T: continuous too
    assert end.continuous and end.value == pytest.approx(0.005, rel=1e-14)
    assert end.numeric == pytest.approx((ref[19], ref[20]), rel=1e-14)


def test_step_decay_jumps_by_eta_times_gamma_minus_one():
    spec = schedules.get("step")
    cfg = spec.config({})  # eta 0.1, step_size 30, gamma 0.1, horizon 100
    found = boundaries(spec, cfg)
    assert [b.k for b in found] == [30, 60, 90]
    first = found[0]
    assert not first.continuous
    assert first.jump == pytest.approx(0.1 * (0.1 - 1), rel=1e-14)  # -0.09
    eta, gam = spec.param("eta_max").symbol, spec.param("gamma").symbol
    jump = sp.sympify(first.jump_formula, locals={"eta_max": eta, "gamma": gam})
    assert sp.simplify(jump - eta * (gam - 1)) == 0
    assert first.value == pytest.approx(0.01, rel=1e-14)
    ref = torch_lrs("step", cfg, 61)
    assert first.numeric == pytest.approx((ref[29], ref[30]), rel=1e-14)
    assert ref[30] - ref[29] == pytest.approx(first.jump, rel=1e-12)
    assert found[1].jump == pytest.approx(0.1 * 0.1 * (0.1 - 1), rel=1e-13)


def test_monotonicity_verdicts():
    cos = schedules.get("cosine")
    m = monotonicity(cos, cos.config({"T": 40, "eta_min": 0.01}))
    assert m.overall == "non-increasing" and m.numeric == "non-increasing" and m.holds
    ref = torch_lrs("cosine", cos.config({"T": 40, "eta_min": 0.01}), 40)
    assert all(a >= b for a, b in itertools.pairwise(ref))  # independently: torch's values
    wc = schedules.get("warmup-cosine")
    m = monotonicity(wc, wc.config({"warmup": 3, "T": 20}))
    assert m.overall == "not monotone" and m.numeric == "not monotone" and m.holds
    assert [p["trend"] for p in m.phases] == ["non-decreasing", "non-increasing"]


# ---- regressions: bugs found by review, now fixed ----------------------------
def test_every_step_is_exact_for_linear_decay_to_zero():
    spec = schedules.get("linear")
    cfg = spec.config({"start_factor": 1.0, "end_factor": 0.0, "total_iters": 6,
                       "horizon": 12})
    assert verify_schedule(spec, cfg).passed  # torch agrees with both forms
    exact = every_step(spec, cfg, 12)
    assert exact.holds and exact.max_diff <= 1e-40, exact


def test_cyclic_triangular2_properties():
    spec = schedules.get("cyclic")
    cfg = spec.config({"mode": "triangular2", "step_size_up": 4, "horizon": 40})
    props = properties(spec, cfg)
    assert props.holds and props.robbins_monro.applies


def test_transformer_schedule_in_the_papers_terms(run_json):
    """Vaswani et al. (2017), eq. (3): lr = d_model^-1/2 min(s^-1/2, s W^-3/2), s = k + 1; the
    peak, at k = W - 1, is (d_model W)^-1/2 (by hand: 512 * 4000 = 2048000)."""
    code, data = run_json("schedule", "transformer", "--at", "0,3999,4000,15999")
    assert code == 0
    lrs = {row["k"]: row["lr"] for row in data["values"]}
    assert lrs[3999] == pytest.approx(2048000 ** -0.5, rel=1e-15)
    assert lrs[0] == pytest.approx(512 ** -0.5 * 4000 ** -1.5, rel=1e-15)
    assert lrs[15999] == pytest.approx(512 ** -0.5 / 16000 ** 0.5, rel=1e-15)
    assert lrs[4000] < lrs[3999]
