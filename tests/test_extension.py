"""Specs from the user's own file (``--spec FILE``), as a new user writes them.

The files are written into a temporary folder: the rule AdaBelief (``examples/adabelief.py``,
the walkthrough of CONTRIBUTING.md) against ``pytorch_optimizer.AdaBelief``, signSGD against a
reference class written in the same file (``Reference.independent``), the schedule
warmup-stable-decay (``examples/wsd.py``) against its own ``LambdaLR``, and a transform (scale
the gradients) against ``torch._foreach_mul_``.  Each is listed, verified
(0 ULP where the reference's order is reproduced), generated, worked and exported with no edit
to optsym; deliberately wrong versions fail, and bad files are one line with exit status 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optsym import rules

ROOT = Path(__file__).resolve().parents[1]
ADABELIEF = (ROOT / "examples" / "adabelief.py").read_text()

pytest.importorskip("pytorch_optimizer", reason="the AdaBelief reference: pip install "
                    "'optsym[dev]'")

SIGNSGD = '''
import sympy as sp
import torch

from optsym.ops import AddScaled, TSign
from optsym.references import Reference
from optsym.spec import Assign, Rule, g, hyper_lr, theta


class SignSGDReference(torch.optim.Optimizer):
    """signSGD written from its definition (Bernstein et al., 2018): p <- p - lr * sign(g)."""

    def __init__(self, params, lr=0.01):
        super().__init__(params, {"lr": lr})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                p.add_(torch.sign(p.grad), alpha=-group["lr"])


LR = hyper_lr(0.01)

SIGNSGD = Rule(
    name="signsgd", title="signSGD", doc="theta <- theta - lr * sign(g)",
    hypers=(LR,), states=lambda cfg: (),
    textbook=lambda cfg: (Assign(theta, theta - LR.symbol * sp.sign(g), "sign step"),),
    implementation=lambda cfg: (Assign(theta, AddScaled(theta, TSign(g), -LR.symbol)),),
    reference=Reference.independent(SignSGDReference, path_flags={"single": {}}),
    sweep=({}, {"lr": 0.1}),
)
'''


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.fixture
def adabelief(tmp_path):
    return _write(tmp_path, "adabelief.py", ADABELIEF)


def test_a_user_rule_is_listed_with_its_reference(run_cli, adabelief):
    result = run_cli("list", "--spec", adabelief, "--json")
    assert result.exit_code == 0, result.output
    entry = {e["rule"]: e for e in json.loads(result.stdout)["rules"]}["adabelief"]
    assert entry["reference"]["name"] == "pytorch_optimizer.AdaBelief"
    assert [o["name"] for o in entry["options"]][:3] == ["lr", "beta1", "beta2"]


def test_a_user_rule_verifies_bit_for_bit_against_its_reference(run_cli, adabelief):
    result = run_cli("verify", "adabelief", "--spec", adabelief, "--steps", "30", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["passed"] and out["reference"] == "pytorch_optimizer.AdaBelief"
    parity = [r for r in out["results"] if r["backend"] == "torch-parity"]
    assert len(parity) == 2 * 5  # every sweep configuration, float32 and float64
    assert all(r["max_ulp"] == 0 and r["passed"] for r in parity)


def test_the_spec_is_registered_for_the_run_only(run_cli, adabelief):
    assert run_cli("verify", "--spec", adabelief, "adabelief", "--steps", "2",
                   "--dtype", "float64", "--backend", "numpy").exit_code == 0
    assert "adabelief" not in rules.names()
    result = run_cli("verify", "adabelief")
    assert result.exit_code == 2 and "unknown rule 'adabelief'" in result.stderr


@pytest.mark.parametrize("wrong, right", [
    ("(g - m)**2 + eps, \"belief\"", "(g - m)**2, \"belief\""),  # eps dropped from the belief
    ("TAdd(AddCMul(TMul(s, beta2), residual, residual, 1 - beta2), eps)",
     "AddCMul(TMul(s, beta2), residual, residual, 1 - beta2)"),
])
def test_a_wrong_user_rule_fails_at_step_1(run_cli, tmp_path, wrong, right):
    assert wrong in ADABELIEF
    path = _write(tmp_path, "wrong.py", ADABELIEF.replace(wrong, right))
    result = run_cli("verify", "--spec", path, "adabelief", "--steps", "5", "--dtype",
                     "float64", "--json")
    assert result.exit_code == 1, result.output
    failures = [r["failure"] for r in json.loads(result.stdout)["results"] if not r["passed"]]
    assert failures and all("step 1" in f for f in failures)


def test_a_wrong_torch_order_fails_its_proof(run_cli, tmp_path):
    wrong = ADABELIEF.replace("Lerp(m, g, 1 - beta1)", "Lerp(m, g, beta1)")
    path = _write(tmp_path, "wrong_order.py", wrong)
    result = run_cli("verify", "--spec", path, "adabelief", "--beta1", "0.9", "--steps", "3",
                     "--dtype", "float64", "--proofs", "--json")
    assert result.exit_code == 1
    proofs = json.loads(result.stdout)["proofs"]
    assert not {p["output"]: p["holds"] for p in proofs}["exp_avg"]


def test_a_user_rule_gets_codegen_example_and_export(run_cli, adabelief, tmp_path):
    for target in ("torch-parity", "numpy", "optax"):
        result = run_cli("codegen", "--spec", adabelief, "adabelief", "--target", target)
        assert result.exit_code == 0 and "adabelief" in result.output.lower(), target
    result = run_cli("example", "--spec", adabelief, "adabelief", "--g", "0.5", "--steps", "2")
    assert result.exit_code == 0 and "[ok]" in result.output
    out = tmp_path / "notes"
    result = run_cli("export", "--spec", adabelief, "adabelief", "--out", str(out),
                     "--no-figures")
    assert result.exit_code == 0, result.output
    assert r"pytorch\_optimizer.AdaBelief" in (out / "rule-adabelief.tex").read_text()


def test_a_reference_written_in_the_users_file(run_cli, tmp_path):
    path = _write(tmp_path, "signsgd.py", SIGNSGD)
    result = run_cli("verify", "--spec", path, "signsgd", "--steps", "20", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["reference"].endswith("SignSGDReference")
    assert all(r["max_ulp"] == 0 for r in out["results"] if r["backend"] == "torch-parity")
    wrong = _write(tmp_path, "wrong_sign.py", SIGNSGD.replace("TSign(g), -LR", "g, -LR"))
    assert run_cli("verify", "--spec", wrong, "signsgd", "--steps", "3").exit_code == 1


WSD = (ROOT / "examples" / "wsd.py").read_text()


@pytest.fixture
def wsd(tmp_path):
    return _write(tmp_path, "wsd.py", WSD)


def test_a_user_schedule_verifies_against_its_own_reference(run_cli, wsd):
    result = run_cli("verify", "--spec", wsd, "wsd", "--warmup", "5", "--decay", "10",
                     "--T", "40", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["reference"].startswith("torch.optim.lr_scheduler.LambdaLR")
    forms = {c["form"]: c for c in out["checks"]}
    assert forms["torch-parity"]["max_ulp"] == 0 and forms["closed"]["passed"]
    assert out["proofs"]["every_step"]["holds"]


def test_a_user_schedule_gets_properties_codegen_plot_and_composition(run_cli, wsd, adabelief,
                                                                       tmp_path):
    result = run_cli("schedule", "--spec", wsd, "wsd", "--warmup", "10", "--decay", "20",
                     "--T", "100", "--json")
    assert result.exit_code == 0, result.output
    budget = json.loads(result.stdout)["budget"]
    # sum of lr_k, k < 100, by hand: warmup 0.1*45/10 + stable 70*0.1 + decay 0.1*210/20
    assert float(budget["value"]) == pytest.approx(0.45 + 7 + 1.05, rel=1e-12)
    assert run_cli("codegen", "--spec", wsd, "wsd", "--target", "closed").exit_code == 0
    png = tmp_path / "wsd.png"
    assert run_cli("plot", "schedules", "--spec", wsd, "--names", "wsd", "-o",
                   str(png)).exit_code == 0 and png.stat().st_size > 0
    result = run_cli("verify", "--spec", wsd, "--spec", adabelief, "adabelief", "--schedule",
                     "wsd", "--schedule-opt", "T=40", "--steps", "45", "--backend",
                     "torch-parity", "--json")
    assert result.exit_code == 0, result.output
    assert all(r["max_ulp"] == 0 for r in json.loads(result.stdout)["results"])


def test_a_user_schedule_whose_reference_disagrees_fails(run_cli, tmp_path):
    wrong = WSD.replace("return r + (1 - r) * (total - k) / decay",
                        "return r + (1 - r) * (total - k - 1) / decay")
    path = _write(tmp_path, "wsd_wrong.py", wrong)
    result = run_cli("verify", "--spec", path, "wsd", "--json")
    assert result.exit_code == 1
    assert not json.loads(result.stdout)["passed"]


def test_a_user_schedule_needs_a_reference(run_cli, tmp_path):
    path = _write(tmp_path, "wsd_alone.py", WSD.replace('@scheduler_reference("wsd")', ""))
    result = run_cli("verify", "--spec", path, "wsd")
    assert result.exit_code == 2 and "schedule 'wsd' has no reference" in result.stderr


SCALE = '''
import sympy as sp
import torch

from optsym.listops import ForeachMul, each, grads
from optsym.params import Param
from optsym.spec import Assign, scalar
from optsym.transforms import Condition, Transform

factor = scalar("factor", "k")
SCALE = Transform(
    name="scale", title="scale the gradients by a constant", doc="g <- k g",
    params=(Param("factor", 0.5, "the constant", symbol=factor,
                  valid=Condition(sp.Symbol("x") > 0, "factor must be > 0, got {value}")),),
    textbook=lambda cfg: (Assign(grads, each(grads, lambda x: factor * x)),),
    implementation=lambda cfg: (Assign(grads, ForeachMul(grads, factor)),),
    reference="torch._foreach_mul_",
    run_reference=lambda params, grads, cfg: torch._foreach_mul_(grads, cfg["factor"]))
'''


def test_a_user_transform_is_listed_and_verified(run_cli, tmp_path):
    pytest.importorskip("optsym.transforms.verify")
    path = _write(tmp_path, "scale.py", SCALE)
    result = run_cli("list", "--spec", path, "--json")
    assert "scale" in [t["transform"] for t in json.loads(result.stdout)["transforms"]]
    result = run_cli("verify", "--spec", path, "scale", "--factor", "0.25", "--steps", "5",
                     "--json")
    assert result.exit_code == 0, result.output
    records = [r for per in json.loads(result.stdout)["results"].values() for r in per.values()]
    assert records and all(r["passed"] for r in records)
    # the reference multiplies by the factor; a spec that multiplies by its square must fail
    wrong = _write(tmp_path, "scale_wrong.py", SCALE.replace("factor * x", "factor**2 * x")
                   .replace("ForeachMul(grads, factor)", "ForeachMul(grads, factor**2)"))
    assert run_cli("verify", "--spec", wrong, "scale", "--factor", "0.25", "--steps",
                   "3").exit_code == 1
    result = run_cli("verify", "--spec", path, "scale", "--factor", "-1")
    assert result.exit_code == 2 and "factor must be > 0, got -1" in result.stderr


BAD_FILES = {
    "missing": (None, "no such file"),
    "syntax.py": ("def rule(:\n", "invalid Python (line 1)"),
    "raises.py": ("x = 1\nraise RuntimeError('no GPU here')\n",
                  "(line 2): RuntimeError: no GPU here"),
    "exits.py": ("import sys\nsys.exit(3)\n", "SystemExit"),
    "empty.py": ("x = 1\n", "defines no rule, schedule or transform"),
    "clash.py": (ADABELIEF.replace('name="adabelief"', 'name="adam"'),
                 "has the name of one of optsym's own rules"),
    "notes.txt": ("RULE = 1\n", "expected a Python file"),
    "typo.py": (ADABELIEF.replace("Assign(residual, TSub(g, m)", "Assign(residual, TSub(g, mm)"),
                "adabelief.implementation: NameError: name 'mm' is not defined"),
    "bad_sweep.py": (ADABELIEF.replace('{"weight_decay": 0.1}', '{"weight_decay": -1}'),
                     "sweep entry {'weight_decay': -1}: weight_decay must be non-negative"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_bad_spec_file_is_one_line_and_exit_2(run_cli, tmp_path, name):
    text, message = BAD_FILES[name]
    path = str(tmp_path / name) if text is None else _write(tmp_path, name, text)
    result = run_cli("verify", "--spec", path, "adam", "--steps", "1")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"optsym: error: --spec {path}")
    assert message in result.stderr and "Traceback" not in result.output
    assert result.stderr.count("\n") == 1


def test_an_installed_package_registers_through_an_entry_point(monkeypatch, tmp_path, run_cli):
    import importlib.metadata

    from optsym import loader

    _write(tmp_path, "my_adabelief.py", ADABELIEF)
    monkeypatch.syspath_prepend(str(tmp_path))
    point = importlib.metadata.EntryPoint("adabelief", "my_adabelief", loader.ENTRY_POINT_GROUP)
    monkeypatch.setattr(importlib.metadata, "entry_points",
                        lambda group=None: [point] if group == loader.ENTRY_POINT_GROUP else [])
    monkeypatch.setattr(loader, "_ENTRY_POINTS_LOADED", False)
    try:
        assert "adabelief" in rules.names()
        assert rules.REGISTRY.source("adabelief") == "entry point adabelief (my_adabelief)"
        result = run_cli("verify", "adabelief", "--steps", "3", "--backend", "torch-parity")
        assert result.exit_code == 0, result.output
    finally:
        rules.REGISTRY.remove("adabelief")


def test_every_command_takes_spec(run_cli):
    from optsym.cli import cli

    for name, command in cli.commands.items():
        assert "--spec" in [o for p in command.params for o in getattr(p, "opts", ())], name
    assert "the file is run" in run_cli("verify", "--help").output
