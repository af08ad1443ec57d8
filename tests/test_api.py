"""The library API (``optsym.api``) and references declared by the rule's spec.

A Python caller gets what the command prints: the verdict, the proofs, the schedule's proofs;
a rule can name its own reference (a class written for the purpose, its arguments and its state
keys) with no edit to optsym; a missing optional reference is one line and exit status 2.
"""

from __future__ import annotations

import dataclasses
import sys

import pytest
import torch

from optsym import api, rules
from optsym.references import MissingReference, Reference
from optsym.spec import SpecError


def test_resolve_decides_the_kind_once():
    assert api.resolve("adam").kind == "rule"
    assert api.resolve("cosine").kind == "schedule"
    assert api.resolve("gd").kind == "objective"
    conv = api.resolve("momentum", "goodfellow")
    assert conv.kind == "convention" and conv.spec.name == "sgd"
    torch_conv = api.resolve("momentum", "torch")
    assert torch_conv.kind == "rule" and torch_conv.family_config == {"momentum": 0.9}
    with pytest.raises(SpecError, match="did you mean 'adam'"):
        api.resolve("adamm")


def test_rule_verdict_carries_the_proofs():
    verdict = api.verify("adam", {"amsgrad": True}, steps=5, dtypes=("float64",),
                         backends=("numpy",), proofs=True)
    assert verdict.passed
    out = verdict.to_json()
    assert out["reference"] == "torch.optim.Adam"
    outputs = {p["output"] for p in out["proofs"]}
    assert {"param", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"} <= outputs
    assert all(p["holds"] and p["config"] == {"amsgrad": True} for p in out["proofs"])
    assert any(line.startswith("proof [amsgrad]") for line in verdict.lines())


def test_schedule_verdict_carries_induction_and_every_step():
    verdict = api.verify("cosine", {"eta_max": 0.1, "T": 20})
    assert verdict.passed and verdict.steps > 20  # past the horizon
    proofs = verdict.to_json()["proofs"]
    assert proofs["induction"] and all(p["holds"] for p in proofs["induction"])
    assert proofs["every_step"]["holds"]


def test_composition_rules_are_the_library_s():
    with pytest.raises(SpecError, match="the schedule's peak is the optimizer's lr"):
        api.verify("adam", {"lr": 0.01}, steps=5, schedule="cosine",
                   schedule_options={"eta_max": 0.1, "T": 10})
    with pytest.raises(SpecError, match="one of --clip-norm and --clip-value"):
        api.verify("adam", steps=5, clip_norm=1.0, clip_value=1.0)
    with pytest.raises(SpecError, match="not an option of a schedule's check"):
        api.verify("cosine", {"T": 10}, proofs=True)
    verdict = api.verify("sgd", {"lr": 0.1}, steps=10, dtypes=("float64",),
                         backends=("torch-parity",), schedule="cosine",
                         schedule_options={"T": 10}, clip_norm=0.5)
    out = verdict.to_json()
    assert verdict.passed and out["schedule"]["config"]["eta_max"] == 0.1
    assert out["clip"]["torch"] == "torch.nn.utils.clip_grad_norm_"


class HeavyBall:
    """Heavy ball written from its definition (buffer = g on step 1, then mu*buf + g;
    theta -= lr*buf), in torch's operation order, keeping its buffer as ``velocity``."""

    def __init__(self, params, lr: float, momentum: float) -> None:
        self.params, self.lr, self.mu = list(params), lr, momentum
        self.state: dict = {p: {} for p in self.params}

    @torch.no_grad()
    def step(self) -> None:
        for p in self.params:
            st = self.state[p]
            if "velocity" not in st:
                st["velocity"] = p.grad.clone()
            else:
                st["velocity"].mul_(self.mu).add_(p.grad)
            p.add_(st["velocity"], alpha=-self.lr)


def test_a_rule_declares_its_own_reference_class_arguments_and_state_keys():
    """No edit to optsym: the reference is a class of this file, it takes only lr and
    momentum, and it calls the momentum buffer ``velocity``."""
    sgd = rules.get("sgd")
    ref = Reference.independent(HeavyBall, path_flags={"single": {}},
                                arguments={"dampening": None, "weight_decay": None,
                                           "nesterov": None, "maximize": None},
                                states={"momentum_buffer": "velocity"})
    rule = dataclasses.replace(sgd, name="heavy-ball-paper", reference=ref, paths={})
    verdict = api.verify_rule(rule, {"lr": 0.05, "momentum": 0.9}, steps=20,
                              dtypes=("float32",), backends=("torch-parity",))
    assert verdict.passed, verdict.lines()
    assert verdict.to_json()["reference"].endswith("HeavyBall")
    assert "independent" in rule.reference.describe()
    # a wrong state key is not silently skipped: the buffer compared is torch's initial value
    wrong = dataclasses.replace(rule, reference=dataclasses.replace(ref, states={}))
    assert not api.verify_rule(wrong, {"lr": 0.05, "momentum": 0.9}, steps=5,
                               dtypes=("float32",), backends=("torch-parity",)).passed


def test_the_old_spelling_still_builds_a_reference():
    sgd = rules.get("sgd")
    old = dataclasses.replace(sgd, reference="pytorch_optimizer", torch_class="Lion")
    assert old.reference.qualified == "pytorch_optimizer.Lion" == old.reference_class
    assert old.torch_class == "Lion"


def test_a_missing_reference_package_is_one_line(monkeypatch, run_cli):
    monkeypatch.setitem(sys.modules, "pytorch_optimizer", None)  # import fails
    with pytest.raises(MissingReference, match="lion's reference needs pytorch_optimizer: "
                                               r"pip install 'optsym\[dev\]'"):
        rules.get("lion").reference.load("lion")
    result = run_cli("verify", "lion", "--steps", "3")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "optsym: error: lion's reference needs pytorch_optimizer: pip install 'optsym[dev]'"]


def test_list_names_each_reference_from_the_spec(run_json):
    code, out = run_json("list")
    by_name = {e["rule"]: e for e in out["rules"]}
    assert by_name["lion"]["reference"]["name"] == "pytorch_optimizer.Lion"
    assert by_name["lion"]["reference"]["requires"] == "pytorch-optimizer"
    assert by_name["adam"]["reference"]["kind"] == "torch.optim"


def test_lion_chapter_names_its_real_reference():
    from optsym.export.context import Context  # noqa: F401  (the chapter's collaborators)
    from optsym.export.rule import _hyper_table, _reference_name
    from optsym.export.topics import find

    lion = rules.get("lion")
    assert _reference_name(lion) == "pytorch_optimizer.Lion"
    table = _hyper_table(lion, find("lion"))
    assert "betas[0]" in table and "torch argument" not in table
