"""Transforms over the list of gradients: each one's generated code against torch's own utility
(``torch.nn.utils.clip_grad_*_``, ``torch.optim.SGD`` / ``AdamW`` weight decay), proofs, and
wrong transforms that must fail.

The independent side is torch: its clipping utilities and its optimizer classes, run here on
tensors built in the test; nothing expected is copied from optsym's output.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import torch

from optsym import transforms
from optsym.listops import ForeachClampMax, ForeachClampMin, ForeachMul, each, grads, lift, params
from optsym.ops import AddScaled, TMul
from optsym.spec import Assign, SpecError, g, scalar, theta
from optsym.transforms import Transform, chain, param
from optsym.transforms.base import x
from optsym.transforms.codegen import generate, print_module
from optsym.transforms.prove import prove
from optsym.transforms.verify import verify, verify_source

SHAPES = ((6, 5), (17,), (), (3, 2, 2))
#: not powers of two, so a product that torch rounds cannot pass as exact by luck
CONFIGS = {"clip-norm": {"max_norm": 0.7}, "clip-value": {"clip_value": 0.3},
           "decay-coupled": {"weight_decay": 0.03}, "decay-decoupled": {"lr": 0.07,
                                                                      "weight_decay": 0.03}}


def _tensors(seed: int, dtype: torch.dtype, scale: float = 1.0) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(s, generator=gen, dtype=torch.float64).to(dtype) * scale for s in SHAPES]


def _same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(
        a.numpy().reshape(-1).view(np.uint8), b.numpy().reshape(-1).view(np.uint8))


def _load(name: str, target: str = "torch-parity"):
    from optsym.codegen.module import load

    source = generate(transforms.get(name), target, CONFIGS[name])
    return load(source, f"test_{name.replace('-', '_')}_{target.replace('-', '_')}")["apply"]


def test_registry_lists_the_four_transforms():
    assert set(CONFIGS) <= set(transforms.names())
    with pytest.raises(SpecError, match="did you mean 'clip-norm'"):
        transforms.get("clip-norms")


# -- each transform, generated, against torch's own utility ----------------------------------

@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("scale", [1e-3, 5.0])  # below and above the threshold
def test_clip_norm_is_torchs_clip_grad_norm(dtype, scale):
    gs = _tensors(3, dtype, scale)
    ps = [torch.nn.Parameter(torch.zeros_like(t)) for t in gs]
    for p, t in zip(ps, gs):
        p.grad = t.clone()
    total = torch.nn.utils.clip_grad_norm_(ps, 0.7)
    mine = [t.clone() for t in gs]
    assert _same_bits(_load("clip-norm")(mine, max_norm=0.7), total)
    assert all(_same_bits(a, p.grad) for a, p in zip(mine, ps))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_clip_value_is_torchs_clip_grad_value(dtype):
    gs = _tensors(4, dtype)
    ps = [torch.nn.Parameter(torch.zeros_like(t)) for t in gs]
    for p, t in zip(ps, gs):
        p.grad = t.clone()
    torch.nn.utils.clip_grad_value_(ps, 0.3)
    for target in ("torch-parity", "torch"):
        mine = [t.clone() for t in gs]
        assert _load("clip-value", target)(mine, clip_value=0.3) is None
        assert all(_same_bits(a, p.grad) for a, p in zip(mine, ps))


def _sgd_steps(param_list, grad_list, weight_decay: float) -> None:
    opt = torch.optim.SGD(param_list, lr=0.05, momentum=0.9, weight_decay=weight_decay,
                          foreach=False)
    for p, gr in zip(param_list, grad_list):
        p.grad = gr
    opt.step()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_coupled_decay_then_sgd_is_torchs_sgd_with_weight_decay(dtype):
    """decay-coupled, chained before SGD without decay, is torch's SGD(weight_decay) bit for
    bit (torch's single-tensor path adds the decay the same way)."""
    start, gs = _tensors(5, dtype), _tensors(6, dtype)
    theirs = [torch.nn.Parameter(p.clone()) for p in start]
    _sgd_steps(theirs, [t.clone() for t in gs], weight_decay=0.03)
    ours = [torch.nn.Parameter(p.clone()) for p in start]
    decayed = [t.clone() for t in gs]
    assert _load("decay-coupled")(decayed, [p.detach() for p in ours], weight_decay=0.03) is None
    _sgd_steps(ours, decayed, weight_decay=0.0)
    assert all(_same_bits(a.detach(), b.detach()) for a, b in zip(ours, theirs))
    assert not all(_same_bits(a, b) for a, b in zip(decayed, gs))  # the decay did something


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_decoupled_decay_then_adam_is_torchs_adamw(dtype):
    start, gs = _tensors(7, dtype), _tensors(8, dtype)
    theirs = [torch.nn.Parameter(p.clone()) for p in start]
    adamw = torch.optim.AdamW(theirs, lr=0.07, weight_decay=0.03, foreach=False)
    ours = [torch.nn.Parameter(p.clone()) for p in start]
    adam = torch.optim.Adam(ours, lr=0.07, weight_decay=0.0, foreach=False)
    decay = _load("decay-decoupled")
    for step in range(3):
        for p, q, t in zip(theirs, ours, gs):
            p.grad, q.grad = t * (step + 1), t * (step + 1)
        adamw.step()
        decay([q.grad for q in ours], [q.detach() for q in ours], lr=0.07, weight_decay=0.03)
        adam.step()
    assert all(_same_bits(a.detach(), b.detach()) for a, b in zip(ours, theirs))


def test_numpy_targets_update_the_arrays_in_place():
    ps = [np.full((2, 3), 2.0), np.array(-1.0)]
    gs = [np.full((2, 3), 0.5), np.array(0.25)]
    same = list(gs)
    _load("decay-coupled", "numpy")(gs, ps, weight_decay=0.03)
    assert all(a is b for a, b in zip(gs, same))
    np.testing.assert_allclose(gs[0], 0.5 + 0.03 * 2.0)
    np.testing.assert_allclose(gs[1], 0.25 - 0.03)
    _load("decay-decoupled", "numpy")(gs, ps, lr=0.07, weight_decay=0.03)
    np.testing.assert_allclose(ps[0], 2.0 * (1 - 0.07 * 0.03))


# -- proofs and the verify loop ------------------------------------------------------------------

@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_transform_proves_and_verifies(name):
    transform = transforms.get(name)
    for ob in prove(transform, CONFIGS[name]):
        assert ob.holds, ob.as_dict()
    report = verify(transform, CONFIGS[name], steps=12)
    json.dumps(report)
    assert report["passed"], report
    for target, per_dtype in report["results"].items():
        for rec in per_dtype.values():
            assert rec["changed_steps"] > 0, rec
            if target == "torch-parity":
                assert rec["max_ulp"] == 0 and rec["criterion"].startswith("bitwise")


def _with(name: str, form) -> Transform:
    return dataclasses.replace(transforms.get(name), implementation=lambda cfg: form)


WRONG = {
    # clamp from below at +c: every element ends at c
    "clip-value": lambda c=transforms.get("clip-value").params[0].symbol: (
        Assign(grads, ForeachClampMin(grads, c)), Assign(grads, ForeachClampMax(grads, c))),
    # the decay subtracted
    "decay-coupled": lambda lam=transforms.get("decay-coupled").params[0].symbol: (
        Assign(grads, lift(grads, AddScaled(g, theta, -lam), {g: grads, theta: params})),),
    # Goodfellow's (1 - lambda) theta: the learning rate left out
    "decay-decoupled": lambda lam=transforms.get("decay-decoupled").params[1].symbol: (
        Assign(params, lift(params, TMul(theta, 1 - lam), {theta: params})),),
}


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # ULPs across 0
@pytest.mark.parametrize("name", list(WRONG))
def test_a_wrong_transform_fails_proof_and_verify(name):
    wrong = _with(name, WRONG[name]())
    (ob,) = prove(wrong, CONFIGS[name], points=1)
    assert not ob.holds and ob.method is None and ob.numeric_max_diff > 1e-6
    rec = verify(wrong, CONFIGS[name], steps=5, dtypes=("float64",),
                 targets=("torch-parity",))["results"]["torch-parity"]["float64"]
    assert not rec["passed"] and rec["failure"].startswith("step 1:")


def test_a_wrong_parity_module_fails_verify_source():
    transform = transforms.get("clip-norm")
    right = generate(transform, "torch-parity", CONFIGS["clip-norm"])
    wrong = right.replace("1e-06", "1e-07")
    assert wrong != right
    rec = verify_source(transform, wrong, "torch-parity", CONFIGS["clip-norm"], "float64",
                        steps=5)
    assert not rec["passed"] and rec["max_ulp"] > 0


# -- a transform of one's own, chaining, describe, bad input ----------------------------------

factor = scalar("factor", "k")
SCALE = Transform(
    name="scale", title="scale the gradients by a constant", doc="g <- k g",
    params=(param("factor", 0.5, "the constant", factor, x > 0, "factor must be > 0, got {value}"),),
    textbook=lambda cfg: (Assign(grads, each(grads, lambda v: factor * v)),),
    implementation=lambda cfg: (Assign(grads, ForeachMul(grads, factor)),),
    reference="torch._foreach_mul_",
    run_reference=lambda ps, gs, cfg: torch._foreach_mul_(gs, cfg["factor"]))


def test_a_new_transform_is_one_spec():
    assert all(ob.holds for ob in prove(SCALE, {"factor": 0.3}))
    assert verify(SCALE, {"factor": 0.3}, steps=4)["passed"]
    double = dataclasses.replace(SCALE, textbook=lambda cfg: (
        Assign(grads, each(grads, lambda v: 2 * factor * v)),))
    assert not prove(double, {"factor": 0.3}, points=1)[0].holds
    assert not verify(double, {"factor": 0.3}, steps=4, targets=("numpy",))["passed"]


def test_chain_runs_the_implementation_forms_in_order():
    clip, decay = transforms.get("clip-value"), transforms.get("decay-coupled")
    form = chain((clip, CONFIGS["clip-value"]), (decay, CONFIGS["decay-coupled"]))
    assert form == clip.implementation({}) + decay.implementation({})
    both = dataclasses.replace(decay, params=clip.params + decay.params)
    from optsym.codegen.module import load

    fn = load(print_module(both, "torch-parity", form, {**CONFIGS["clip-value"],
                                                        **CONFIGS["decay-coupled"]}),
              "test_chain")["apply"]
    ps, gs = _tensors(9, torch.float32), _tensors(10, torch.float32)
    mine = [t.clone() for t in gs]
    fn(mine, ps, clip_value=0.3, weight_decay=0.03)
    expected = [t.clone() for t in gs]
    torch._foreach_clamp_min_(expected, -0.3)
    torch._foreach_clamp_max_(expected, 0.3)
    torch._foreach_add_(expected, ps, alpha=0.03)
    assert all(_same_bits(a, b) for a, b in zip(mine, expected))


def test_describe_is_json_with_the_domain():
    spec = transforms.get("clip-norm").describe()
    json.dumps(spec)
    assert spec["reference"] == "torch.nn.utils.clip_grad_norm_"
    assert spec["params"][0]["domain"] == "max_norm must be finite and > 0"
    assert "\\min" in spec["latex"] and "g_{i,j}" in spec["latex"]


@pytest.mark.parametrize("name,cfg,message", [
    ("clip-norm", {"max_norm": 0.0}, "max_norm must be finite and > 0"),
    ("clip-norm", {"max_norm": math.inf}, "max_norm must be finite and > 0"),
    ("clip-value", {"clip_value": math.nan}, "clip_value must be >= 0"),
    ("decay-decoupled", {"lr": -0.1}, "Invalid learning rate: -0.1"),
    ("decay-coupled", {"weight_decay": -1.0}, "Invalid weight_decay value: -1"),
])
def test_bad_parameters(name, cfg, message):
    transform = transforms.get(name)
    with pytest.raises(SpecError, match=message.replace("(", r"\(")):
        transform.config(cfg)
    key, value = next(iter(cfg.items()))
    with pytest.raises(ValueError, match=message.split(":")[0]):  # the generated check agrees
        _load(name, "numpy")([np.ones(2)], [np.ones(2)], **{**CONFIGS[name], key: value})


def test_unknown_target():
    with pytest.raises(SpecError, match="unknown target"):
        generate(transforms.get("clip-value"), "jax")


@pytest.mark.parametrize("name,flag,param", [("clip-value", "--clip-value", "clip_value"),
                                             ("clip-norm", "--clip-norm", "max_norm")])
def test_the_composing_flag_sets_a_clipping_transforms_own_value(run_cli, name, flag, param):
    """`verify clip-value --clip-value 0.5` means the transform's own clip_value (it was
    refused as a composition with itself)."""
    result = run_cli("verify", name, flag, "0.5", "--dtype", "float64", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["config"][param] == 0.5 and data["passed"]
    if flag != f"--{param.replace('_', '-')}":  # two spellings of one value: refused
        both = run_cli("verify", name, flag, "0.5", f"--{param.replace('_', '-')}", "0.3")
        assert both.exit_code == 2 and "name the same parameter" in both.stderr
    other = "--clip-norm" if flag == "--clip-value" else "--clip-value"
    refused = run_cli("verify", name, other, "0.5")
    assert refused.exit_code == 2 and f"{other}: not an option" in refused.stderr
