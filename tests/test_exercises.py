"""Exercise sheets: reproducible draws, every answer recomputed independently (exact fractions,
torch.optim, torch's schedulers), a wrong answer refused by the generated-code check, the PDFs
compile, and the command line's errors."""

from __future__ import annotations

import dataclasses
import math
import re
import shutil
from fractions import Fraction

import pytest
import sympy as sp

from optsym import exercises
from optsym.exercises.topic import SheetRefused, make_sheet

TOPICS = exercises.names()
#: a seed and a count that together cover every kind of problem of each topic
SEED, N = 11, 8


@pytest.fixture(scope="module")
def sheets():
    """One sheet per topic (the checks against generated code run while it is made)."""
    return {name: exercises.sheet(name, N, SEED) for name in TOPICS}


def _frac(value) -> Fraction:
    value = sp.nsimplify(value)
    assert value.is_Rational, value
    return Fraction(int(value.p), int(value.q))


def _answers(exercise) -> dict:
    return {a.key: a.value for a in exercise.solution.answers}


def test_topics_listed(run_cli):
    result = run_cli("exercises", "--list")
    assert result.exit_code == 0
    assert TOPICS and all(name in result.stdout for name in TOPICS)


# ---- reproducibility -------------------------------------------------------------------------
@pytest.mark.parametrize("name", TOPICS)
def test_same_seed_same_bytes_different_seed_different_problems(name, sheets):
    first, again = exercises.sheet(name, 3, SEED), exercises.sheet(name, 3, SEED)
    assert again.problems_tex().encode() == first.problems_tex().encode()
    assert again.solutions_tex().encode() == first.solutions_tex().encode()
    # a longer sheet from the same seed starts with the same problems
    assert [e.params for e in sheets[name].exercises[:3]] == [e.params for e in first.exercises]
    other = exercises.sheet(name, 3, SEED + 1)
    assert other.problems_tex() != first.problems_tex()
    assert [e.params for e in other.exercises] != [e.params for e in first.exercises]
    # the problems of one sheet are all different
    keys = [repr(sorted(e.params.items())) for e in sheets[name].exercises]
    assert len(set(keys)) == len(keys)


def test_cli_writes_identical_files_for_the_same_seed(run_cli, tmp_path):
    for folder in ("a", "b"):
        result = run_cli("exercises", "schedule-values", "--n", "4", "--seed", "7",
                         "--out", str(tmp_path / folder))
        assert result.exit_code == 0, result.output
    for stem in ("problems.tex", "solutions.tex"):
        assert (tmp_path / "a" / stem).read_bytes() == (tmp_path / "b" / stem).read_bytes()
    problems = (tmp_path / "a" / "problems.tex").read_text()
    solutions = (tmp_path / "a" / "solutions.tex").read_text()
    assert problems.count(r"\item") == solutions.count(r"\item") == 4
    assert "Solution" not in problems and "Solution" in solutions


# ---- every answer recomputed independently ---------------------------------------------------
def test_step_size_bound_answers_by_exact_arithmetic_and_torch_sgd(sheets):
    import torch

    for e in sheets["step-size-bound"].exercises:
        a, b, c = (_frac(e.params[k]) for k in "abc")
        ans = {k: _frac(v) for k, v in _answers(e).items()}
        big, small = ans["L"], ans["mu"]
        # Vieta: the eigenvalues of [[a, b], [b, c]] sum to the trace, multiply to the det
        assert big + small == a + c and big * small == a * c - b * b and big >= small > 0
        assert ans["kappa"] == big / small
        assert ans["stable_step"] == 2 / big
        assert ans["optimal_step"] == 2 / (big + small)
        assert ans["rate"] == (big - small) / (big + small)
        # torch's SGD on f = z^T H z / 2 just below and above the bound
        h = torch.tensor([[float(a), float(b)], [float(b), float(c)]], dtype=torch.float64)
        for factor, converges in ((0.99, True), (1.01, False)):
            z = torch.tensor([1.0, math.sqrt(2.0)], dtype=torch.float64, requires_grad=True)
            opt = torch.optim.SGD([z], lr=factor * float(ans["stable_step"]))
            for _ in range(1500):
                z.grad = h @ z.detach()  # the gradient of z^T H z / 2
                opt.step()
            size = float(z.detach().norm())
            assert (size < 1e-3) if converges else (size > 1e3 or not math.isfinite(size))


def test_schedule_values_against_torch_schedulers(sheets):
    import torch
    from torch.optim import lr_scheduler as sched

    seen = set()
    for sheet_seed in (SEED, SEED + 1, SEED + 2):
        for e in exercises.sheet("schedule-values", N, sheet_seed).exercises:
            p = e.params
            seen.add(p["schedule"])
            opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)],
                                  lr=float(p["eta_max"]))
            if p["schedule"] == "step":
                s = sched.StepLR(opt, step_size=p["step_size"], gamma=float(p["gamma"]))
            elif p["schedule"] == "multistep":
                s = sched.MultiStepLR(opt, milestones=list(p["milestones"]),
                                      gamma=float(p["gamma"]))
            elif p["schedule"] == "cosine":
                s = sched.CosineAnnealingLR(opt, T_max=p["T"], eta_min=float(p["eta_min"]))
            else:
                s = sched.LinearLR(opt, start_factor=float(p["start_factor"]), end_factor=1.0,
                                   total_iters=p["warmup"])
            lrs = []
            for _ in range(max(p["k"]) + 1):
                lrs.append(opt.param_groups[0]["lr"])
                opt.step()
                s.step()
            ans = _answers(e)
            assert [f"lr_{k}" for k in p["k"]] == list(ans)
            for k in p["k"]:
                assert math.isclose(float(ans[f"lr_{k}"]), lrs[k], rel_tol=1e-12, abs_tol=1e-15)
                if p["schedule"] != "cosine":  # exact fractions: also check by hand
                    assert ans[f"lr_{k}"].is_Rational
    assert seen == {"step", "multistep", "cosine", "warmup"}


def test_schedule_values_step_decay_by_hand():
    topic = exercises.get("schedule-values")
    p = {"schedule": "step", "eta_max": sp.Rational(1, 10), "step_size": 3,
         "gamma": sp.Rational(1, 2), "k": (0, 3, 7)}
    ans = topic.solve(p).values()
    assert [ans["lr_0"], ans["lr_3"], ans["lr_7"]] == [sp.Rational(1, 10), sp.Rational(1, 20),
                                                       sp.Rational(1, 40)]


def test_gd_quadratic_answers_by_exact_fractions(sheets):
    for e in sheets["gd-quadratic"].exercises:
        a, b, lr, x = (_frac(e.params[k]) for k in ("a", "b", "lr", "x0"))
        ans = _answers(e)
        x0, xs = x, []
        for _ in range(10):
            x = x - lr * 2 * a * (x - b)  # f'(x) = 2a(x - b), by hand
            xs.append(x)
        assert [_frac(ans[f"x{i}"]) for i in (1, 2, 3)] == xs[:3]
        r = _frac(ans["r"])
        assert r == 1 - 2 * a * lr
        t = sp.Symbol("t", integer=True, nonnegative=True)
        assert all(_frac(ans["x_t"].subs(t, k)) == xs[k - 1] for k in range(1, 11))
        assert _frac(ans["x_t"].subs(t, 0)) == x0
        assert _frac(ans["eta_max"]) == 1 / a  # |1 - 2 a eta| < 1 iff 0 < eta < 1/a


def test_momentum_steps_by_exact_fractions_and_torch_sgd(sheets):
    import torch

    seen = set()
    for e in sheets["momentum-steps"].exercises:
        p = e.params
        a, b, lr, mu, x = (_frac(p[k]) for k in ("a", "b", "lr", "momentum", "x0"))
        ans = _answers(e)
        buf = None
        for step in (1, 2, 3):  # torch's documented SGD: b_1 = g_1, b_t = mu b + g
            grad = 2 * a * (x - b)
            buf = grad if buf is None else mu * buf + grad
            x = x - lr * ((grad + mu * buf) if p["nesterov"] else buf)
            assert _frac(ans[f"b{step}"]) == buf and _frac(ans[f"x{step}"]) == x
        z = torch.tensor([float(p["x0"])], dtype=torch.float64, requires_grad=True)
        opt = torch.optim.SGD([z], lr=float(lr), momentum=float(mu), nesterov=p["nesterov"])
        for step in (1, 2, 3):
            opt.zero_grad()
            (float(a) * (z - float(b)) ** 2).sum().backward()
            opt.step()
            assert math.isclose(z.item(), float(ans[f"x{step}"]), rel_tol=1e-12, abs_tol=1e-14)
            assert math.isclose(opt.state[z]["momentum_buffer"].item(), float(ans[f"b{step}"]),
                                rel_tol=1e-12, abs_tol=1e-14)
        seen.add(p["nesterov"])
    assert seen == {True, False}


def test_adam_first_step_against_torch_adam(sheets):
    import torch

    for e in sheets["adam-first-step"].exercises:
        p = e.params
        ans = _answers(e)
        z = torch.tensor([float(v) for v in p["x0"]], dtype=torch.float64, requires_grad=True)
        opt = torch.optim.Adam([z], lr=float(p["lr"]), betas=(float(p["beta1"]),
                                                              float(p["beta2"])),
                               eps=float(p["eps"]))
        g = torch.tensor([float(v) for v in p["g"]], dtype=torch.float64)
        before = z.detach().clone()
        for step in (1, 2):
            z.grad = g.clone()
            opt.step()
            state = opt.state[z]
            for key, name in ((f"x{step}", None), (f"m{step}", "exp_avg"),
                              (f"v{step}", "exp_avg_sq")):
                got = (z if name is None else state[name]).detach().tolist()
                want = [float(v) for v in ans[key]]
                assert all(math.isclose(u, w, rel_tol=1e-12, abs_tol=1e-15)
                           for u, w in zip(got, want)), (key, got, want)
        moved = ((z.detach() - before) / 2).tolist()
        assert all(math.isclose(u, float(w), rel_tol=1e-10)
                   for u, w in zip(moved, ans["step"]))
        # the first step by hand: m_hat = g, v_hat = g^2 exactly
        g_exact = [_frac(v) for v in p["g"]]
        assert [_frac(v) for v in ans["mhat1"]] == g_exact
        assert [_frac(v) for v in ans["vhat1"]] == [v * v for v in g_exact]
        assert [_frac(v) for v in ans["m1"]] == [(1 - _frac(p["beta1"])) * v for v in g_exact]


# ---- a wrong answer is refused ---------------------------------------------------------------
def _shifted(value):
    if isinstance(value, sp.Tuple):
        return sp.Tuple(*[v + sp.Rational(1, 1000) for v in value])
    return value + sp.Rational(1, 1000)


def _mutated(topic, key: str):
    """``topic`` with answer ``key`` moved by 1/1000 (each coordinate)."""
    def solve(params):
        sol = topic.solve(params)
        assert key in sol.values()
        sol.answers = [dataclasses.replace(a, value=_shifted(a.value)) if a.key == key else a
                       for a in sol.answers]
        return sol
    return dataclasses.replace(topic, solve=solve)


MUTATIONS = [("step-size-bound", k) for k in ("L", "mu", "kappa", "stable_step",
                                               "optimal_step", "rate")] + [
    ("gd-quadratic", "x2"), ("gd-quadratic", "r"), ("gd-quadratic", "x_t"),
    ("gd-quadratic", "eta_max"), ("momentum-steps", "b2"), ("momentum-steps", "x3"),
    ("adam-first-step", "m1"), ("adam-first-step", "v2"), ("adam-first-step", "x1"),
    ("adam-first-step", "mhat1"), ("adam-first-step", "step")]


@pytest.mark.parametrize("name, key", MUTATIONS)
def test_wrong_answer_refused(name, key):
    with pytest.raises(SheetRefused, match="fails its check"):
        make_sheet(_mutated(exercises.get(name), key), 2, SEED)


def test_schedule_values_wrong_answer_refused():
    topic = exercises.get("schedule-values")
    drawn = [e.params for e in make_sheet(topic, 3, SEED).exercises]
    first = f"lr_{drawn[0]['k'][-1]}"
    with pytest.raises(SheetRefused, match="generated"):
        make_sheet(_mutated(topic, first), 3, SEED)


def test_cli_refuses_a_wrong_sheet_and_writes_nothing(run_cli, tmp_path, monkeypatch):
    topic = exercises.get("step-size-bound")
    monkeypatch.setattr(exercises, "get", lambda name: _mutated(topic, "rate"))
    result = run_cli("exercises", "step-size-bound", "--out", str(tmp_path / "s"))
    assert result.exit_code == 1
    assert "fails its check" in result.stderr and "not written" in result.stderr
    assert not (tmp_path / "s").exists()


# ---- JSON and PDF ----------------------------------------------------------------------------
def test_json_has_exact_answers(run_json):
    code, data = run_json("exercises", "step-size-bound", "--n", "2", "--seed", "3")
    assert code == 0 and data["topic"] == "step-size-bound" and data["checked"] is True
    assert len(data["exercises"]) == 2
    for e in data["exercises"]:
        ans = {a["key"]: a for a in e["answers"]}
        assert Fraction(ans["stable_step"]["exact"]) == 2 / Fraction(ans["L"]["exact"])
        assert math.isclose(ans["kappa"]["value"], float(Fraction(ans["kappa"]["exact"])))
        assert all(c["passed"] for c in e["checks"])


@pytest.mark.skipif(shutil.which("pdflatex") is None,
                    reason="pdflatex is not installed (Debian: texlive-latex-base "
                           "texlive-latex-recommended; CI installs it: .ci/latex)")
@pytest.mark.parametrize("name", TOPICS)
def test_pdfs_compile(name, run_cli, tmp_path):
    result = run_cli("exercises", name, "--n", "3", "--seed", "5", "--out", str(tmp_path),
                     "--pdf")
    assert result.exit_code == 0, result.output
    for stem in ("problems", "solutions"):
        pdf = tmp_path / f"{stem}.pdf"
        assert pdf.exists() and pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 1000


@pytest.mark.skipif(shutil.which("pdflatex") is None,
                    reason="pdflatex is not installed (Debian: texlive-latex-base "
                           "texlive-latex-recommended; CI installs it: .ci/latex)")
def test_same_seed_same_pdf_bytes(run_cli, tmp_path):
    for folder in ("a", "b"):
        result = run_cli("exercises", "schedule-values", "--n", "2", "--seed", "9", "--out",
                         str(tmp_path / folder), "--pdf")
        assert result.exit_code == 0, result.output
    for stem in ("problems.pdf", "solutions.pdf"):
        assert (tmp_path / "a" / stem).read_bytes() == (tmp_path / "b" / stem).read_bytes()
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        "problems.pdf", "problems.tex", "solutions.pdf", "solutions.tex"]


# ---- usage errors ----------------------------------------------------------------------------
@pytest.mark.parametrize("args, message", [
    (["no-such-topic"], "unknown exercise topic"),
    (["step-size"], "unknown exercise topic"),
    (["schedule-values", "--n", "0"], "--n must be from 1 to 50"),
    (["schedule-values", "--n", "51"], "--n must be from 1 to 50"),
    (["schedule-values", "--seed", "-3"], "--seed must be an integer"),
    (["schedule-values", "--seed", "x"], "--seed"),
    (["schedule-values", "--pdf"], "--pdf needs --out"),
    ([], "missing TOPIC"),
])
def test_usage_errors(run_cli, args, message):
    result = run_cli("exercises", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("optsym: error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_out_path_that_is_a_file(run_cli, tmp_path):
    target = tmp_path / "sheet"
    target.write_text("not a folder")
    result = run_cli("exercises", "schedule-values", "--out", str(target))
    assert result.exit_code == 2 and "not a directory" in result.stderr
    assert target.read_text() == "not a folder"


def test_missing_pdflatex_is_a_one_line_error(run_cli, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = run_cli("exercises", "schedule-values", "--out", str(tmp_path), "--pdf")
    assert result.exit_code == 2
    assert "texlive-latex-base" in result.stderr and len(result.stderr.splitlines()) == 1


def test_working_without_clutter(sheets):
    """The momentum working shows mu b + g with the numbers, not g (1 - 0) + mu b, and no
    ``b_1 = (-8) = -8`` repeats; a schedule's piecewise closed form is displayed, not inline."""
    tex = sheets["momentum-steps"].solutions_tex()
    assert r"\left(1 - 0\right)" not in tex
    # no "b_1 &= \left(-8\right) = -8": a value alone is not bracketed and not repeated
    assert not re.search(r"&= (\\left\()?([^=&]+?)(\\right\))? = \2 *(\\\\|\\end|$)", tex,
                         re.MULTILINE)
    for e in sheets["momentum-steps"].exercises:
        assert r"\mu b_{t-1} + g_t" in "\n".join(e.solution.working)
    schedules = sheets["schedule-values"].solutions_tex()
    assert r"is \[\eta_k = " in schedules and r"is $\eta_k = " not in schedules


def test_gd_quadratic_sheets_vary_the_objective_and_step_not_only_the_start():
    """Review finding: seed 7 gave two problems that differed only in x0."""
    for seed in range(10):
        sheet = exercises.sheet("gd-quadratic", 5, seed)
        keys = [(e.params["a"], e.params["b"], e.params["lr"]) for e in sheet.exercises]
        assert len(set(keys)) == len(keys), (seed, keys)
