"""Generated modules: readable, importable outside optsym, and right when used directly."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pytest
import torch

from optsym import rules
from optsym.codegen.module import generate
from optsym.codegen.module import load as load_module
from optsym.verify.reference import run_torch_class
from optsym.verify.stream import make_problem


def _import(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("target", ["torch-parity", "torch", "numpy"])
def test_codegen_cli_writes_an_importable_module(run_cli, tmp_path, target):
    out = tmp_path / "adam_step.py"
    result = run_cli("codegen", "adam", "--target", target, "--amsgrad", "--out", str(out))
    assert result.exit_code == 0
    source = out.read_text()
    assert "optsym" not in "".join(line for line in source.splitlines()
                                   if line.startswith(("import", "from")))
    compile(source, str(out), "exec")
    module = _import(out)
    assert callable(module.step) and callable(module.init_state)


def test_numpy_module_does_not_need_torch(tmp_path):
    source = generate(rules.get("rmsprop"), rules.get("rmsprop").config({"centered": True}),
                      "numpy")
    path = tmp_path / "rms.py"
    path.write_text(source)
    script = (f"import sys, numpy as np; sys.modules['torch'] = None\n"
              f"import importlib.util as u; s = u.spec_from_file_location('rms', {str(path)!r})\n"
              f"m = u.module_from_spec(s); s.loader.exec_module(m)\n"
              f"p = [np.ones(3, dtype=np.float32)]; st = m.init_state(p)\n"
              f"m.step(p, [np.full(3, 0.5, dtype=np.float32)], st)\n"
              f"assert p[0].dtype == np.float32 and (p[0] < 1).all(); print('ok')")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


@pytest.mark.parametrize("name,overrides", [
    ("adam", {"amsgrad": True, "weight_decay": 0.1}),
    ("sgd", {"momentum": 0.9, "nesterov": True}),
    ("rmsprop", {"centered": True, "momentum": 0.5}),
    ("adagrad", {"lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("adamw", {}),
])
def test_parity_module_used_like_a_user_matches_the_torch_class(tmp_path, name, overrides):
    """A user's loop: nn.Parameters, in-place update, torch.optim class as the reference."""
    rule = rules.get(name)
    cfg = rule.config(overrides)
    path = tmp_path / f"{name}_parity.py"
    path.write_text(generate(rule, cfg, "torch-parity"))
    module = _import(path)
    problem = make_problem(40, seed=11)
    params = [torch.nn.Parameter(torch.tensor(p, dtype=torch.float32)) for p in problem.params]
    grads = [[torch.tensor(x, dtype=torch.float32) for x in g] for g in problem.grads]
    state = module.init_state(params)
    for g in grads:
        module.step(params, g, state)
    start = [torch.tensor(p, dtype=torch.float32) for p in problem.params]
    expected = run_torch_class(name, cfg, start, grads)
    for ours, theirs in zip(params, expected[-1]["param"]):
        assert torch.equal(ours.detach(), theirs)


def test_state_does_not_alias_the_callers_gradient():
    rule = rules.get("sgd")
    ns = load_module(generate(rule, rule.config({"momentum": 0.9}), "torch-parity"))
    params, grad = [torch.zeros(3)], torch.ones(3)
    state = ns["init_state"](params)
    ns["step"](params, [grad], state)
    grad.zero_()  # what zero_grad() does
    assert torch.equal(state["momentum_buffer"][0], torch.ones(3))


def test_scalars_stay_python_floats_in_numpy_code():
    source = generate(rules.get("adam"), rules.get("adam").config({}), "numpy")
    assert "numpy.sqrt(1 - beta2" not in source and "math." not in source
    ns = load_module(source)
    p = [np.ones(4, dtype=np.float32)]
    st = ns["init_state"](p)
    ns["step"](p, [np.ones(4, dtype=np.float32)], st)
    assert p[0].dtype == np.float32 and st["exp_avg"][0].dtype == np.float32


def test_generated_step_validates_its_arguments_like_torch():
    rule = rules.get("adam")
    ns = load_module(generate(rule, rule.config({}), "numpy"))
    p = [np.ones(2, dtype=np.float32)]
    with pytest.raises(ValueError, match=r"^Invalid learning rate: -1$"):
        ns["step"](p, [np.ones(2, dtype=np.float32)], ns["init_state"](p), lr=-1)
    with pytest.raises(ValueError, match=r"^Invalid beta parameter at index 1: 1.0$"):
        ns["step"](p, [np.ones(2, dtype=np.float32)], ns["init_state"](p), beta2=1.0)
