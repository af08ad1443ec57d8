"""Gradient clipping: proofs, derivations, generated code against torch.nn.utils, bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import sympy as sp
import torch

from optsym import clipping
from optsym.codegen.module import load
from optsym.ops import TClampMax, TDiv, TMul, TRecip
from optsym.spec import Assign, SpecError

#: not a power of two: with max_norm = 1.0 torch's ``reciprocal(N + eps) * max_norm`` is exact
#: and a true division would look bit-exact too
MAX_NORM = 0.7
SHAPES = ((6, 5), (17,), (), (3, 2, 2))


def _grads(seed: int, dtype: torch.dtype, scale: float) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(s, generator=gen, dtype=torch.float64).to(dtype) * scale
            for s in SHAPES]


def _torch_reference(kind: str, grads: list[torch.Tensor], threshold: float):
    params = []
    for g in grads:
        p = torch.nn.Parameter(torch.zeros_like(g))
        p.grad = g.clone()
        params.append(p)
    if kind == "norm":
        total = torch.nn.utils.clip_grad_norm_(params, threshold)
    else:
        total = torch.nn.utils.clip_grad_value_(params, threshold)
    return [p.grad for p in params], total


def _same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(
        a.numpy().reshape(-1).view(np.uint8), b.numpy().reshape(-1).view(np.uint8))


def _clip_fn(kind: str, target: str):
    return load(clipping.generate_clip(kind, target), f"clip_{kind}_{target}")["clip"]


# -- parity, checked directly against torch (independent of verify_source) ----------------------

@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("scale", [1e-3, 0.3, 50.0])  # no-op, clipped, clipped hard
def test_norm_parity_is_bitwise(dtype, scale):
    grads = _grads(1, dtype, scale)
    ref, ref_total = _torch_reference("norm", grads, MAX_NORM)
    mine = [g.clone() for g in grads]
    total = _clip_fn("norm", "torch-parity")(mine, max_norm=MAX_NORM)
    assert all(_same_bits(a, b) for a, b in zip(mine, ref))
    assert _same_bits(total, ref_total)
    noop = all(_same_bits(a, b) for a, b in zip(ref, grads))
    assert noop == (scale == 1e-3)  # the small gradients are below the threshold, the others not


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("threshold", [0.05, 0.7, 100.0])  # 100: every element inside: no-op
def test_value_parity_is_bitwise(dtype, threshold):
    grads = _grads(2, dtype, 1.0)
    ref, _ = _torch_reference("value", grads, threshold)
    mine = [g.clone() for g in grads]
    assert _clip_fn("value", "torch-parity")(mine, clip_value=threshold) is None
    assert all(_same_bits(a, b) for a, b in zip(mine, ref))
    changed = not all(_same_bits(a, b) for a, b in zip(ref, grads))
    assert changed == (threshold < 100.0)


def test_empty_list_matches_torch():
    assert _clip_fn("norm", "torch-parity")([], max_norm=1.0).item() == \
        torch.nn.utils.clip_grad_norm_([], 1.0).item() == 0.0
    assert _clip_fn("value", "torch")([], clip_value=1.0) is None


def test_numpy_target_updates_the_arrays_in_place():
    arrays = [np.full((2, 3), 4.0, dtype=np.float32), np.array(-3.0, dtype=np.float32)]
    same = list(arrays)
    total = _clip_fn("norm", "numpy")(arrays, max_norm=MAX_NORM)
    assert all(a is b for a, b in zip(arrays, same))
    assert total.dtype == np.float32 and math.isclose(float(total), math.sqrt(6 * 16 + 9),
                                                      rel_tol=1e-6)
    assert math.isclose(float(np.sqrt(sum((a.astype(np.float64)**2).sum() for a in arrays))),
                        MAX_NORM * float(total) / (float(total) + 1e-6), rel_tol=1e-6)


# -- the verify stream -----------------------------------------------------------------------

@pytest.mark.parametrize("kind,threshold", [("norm", MAX_NORM), ("value", 0.3)])
def test_verify_clip_all_targets(kind, threshold):
    report = clipping.verify_clip(kind, threshold, steps=30)
    json.dumps(report)  # JSON-able
    assert report["passed"], report
    for target, per_dtype in report["results"].items():
        for rec in per_dtype.values():
            assert rec["passed"] and rec["failure"] is None, rec
            assert rec["unchanged_steps"] > 0 and rec["changed_steps"] > 0  # both regimes ran
            if target == "torch-parity" or kind == "value":
                assert rec["max_ulp"] == 0 and "bitwise" in rec["criterion"]
    if kind == "norm":
        # the textbook targets are a different computation: not bitwise, within the bound
        textbook32 = report["results"]["numpy"]["float32"]
        assert 0 < textbook32["max_ulp"] < 20
        assert textbook32["max_rel"] <= (48 + 3 * 3 + 10) * 2.0**-24
        assert report["results"]["torch-parity"]["float64"]["returned_max_ulp"] == 0


def _mutated(f):
    return tuple(Assign(e.target, f(e.expr), e.note) for e in clipping.implementation("norm"))


MUTATIONS = {
    "eps 1e-7": lambda x: x.xreplace({clipping.eps: sp.Float(1e-7)}),
    "no clamp": lambda x: x.replace(lambda a: isinstance(a, TClampMax),
                                    lambda a: a.args[0]),
    "true division": lambda x: x.replace(
        lambda a: isinstance(a, TMul) and isinstance(a.args[0], TRecip),
        lambda a: TDiv(a.args[1], a.args[0].args[0])),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_wrong_parity_form_fails(name, dtype):
    source = clipping.print_module("norm", "torch-parity", _mutated(MUTATIONS[name]))
    assert source != clipping.generate_clip("norm", "torch-parity")
    rec = clipping.verify_source("norm", source, "torch-parity", MAX_NORM, dtype, steps=30)
    assert not rec["passed"] and rec["failure"].startswith("step ")
    assert rec["max_ulp"] > 0


def test_wrong_forms_fail_the_proof():
    for name in ("eps 1e-7", "no clamp"):
        total, grads = clipping.prove_clip("norm", points=1, form=_mutated(MUTATIONS[name]))
        assert total.holds  # the norm itself is still right
        assert grads.method is None and grads.numeric_max_diff > 1e-12 and not grads.holds


# -- proofs and derivations ---------------------------------------------------------------------

@pytest.mark.parametrize("kind", clipping.CLIP_KINDS)
def test_implementation_form_is_textbook_form(kind):
    obligations = clipping.prove_clip(kind)
    assert [ob.output for ob in obligations] == \
        (["total_norm", "grads"] if kind == "norm" else ["grads"])
    for ob in obligations:
        assert ob.holds, ob.as_dict()
    if kind == "value":  # min(max(g, -c), c) == the three cases needs c >= 0: proved by cases
        assert obligations[0].method.startswith("by cases")


def test_derivations_hold():
    found = {d.name: d for d in clipping.derivations(trials=40)}
    assert set(found) == {"direction", "no-op", "norm bound"}
    for d in found.values():
        assert d.proved and d.holds, d.as_dict()
        assert any(d.verified)
        json.dumps(d.as_dict())
    direction = found["direction"].numeric
    assert direction[0].measured < 1e-12 and direction[2].measured > 0  # cos = 1, s > 0
    assert found["no-op"].numeric[0].measured == 0  # no list changed above the threshold
    assert found["norm bound"].numeric[0].measured < 0  # ||clip(g)|| < c


def test_norm_bound_against_torch_float32():
    """||clip(g)|| <= c N/(N + eps) < c for torch's own float32 clipping (within rounding)."""
    for seed in range(5):
        grads = _grads(seed, torch.float32, 10.0)
        clipped, total = _torch_reference("norm", grads, MAX_NORM)
        after = math.sqrt(sum(float((g.double()**2).sum()) for g in clipped))
        n = float(total)
        assert after <= MAX_NORM * n / (n + 1e-6) * (1 + 64 * 2.0**-24)


# -- describe and bad input -----------------------------------------------------------------

def test_describe():
    norm, value = clipping.describe("norm"), clipping.describe("value")
    assert norm["latex"].startswith("\\begin{align*}") and "\\min" in norm["latex"]
    assert "\\epsilon" in norm["latex"] and "g_{i,j}" in norm["latex"]
    assert "Min(1, max_norm/(eps + total_norm))" in norm["text"]
    assert "\\begin{cases}" in value["latex"] and value["threshold"] == "clip_value"
    json.dumps([norm, value])


@pytest.mark.parametrize("kind,bad", [("norm", 0.0), ("norm", -1.0), ("norm", math.nan),
                                      ("norm", math.inf), ("value", -0.5),
                                      ("value", math.nan), ("norm", "x")])
def test_bad_threshold_raises_spec_error(kind, bad):
    with pytest.raises(SpecError) as err:
        clipping.check_threshold(kind, bad)
    assert "\n" not in str(err.value)
    assert ("max_norm" if kind == "norm" else "clip_value") in str(err.value)
    with pytest.raises(SpecError):
        clipping.verify_clip(kind, bad, steps=2)
    if not isinstance(bad, str):  # the generated code checks with the same condition
        name = "max_norm" if kind == "norm" else "clip_value"
        with pytest.raises(ValueError, match=str(err.value).replace("(", r"\(")):
            _clip_fn(kind, "numpy")([np.ones(3)], **{name: bad})


def test_good_thresholds_pass():
    assert clipping.check_threshold("norm", 1e-3) == 1e-3
    assert clipping.check_threshold("value", 0) == 0.0
    assert clipping.check_threshold("value", math.inf) == math.inf


def test_torch_accepts_a_negative_clip_value():
    """Why a negative clip_value is rejected here: torch maps every element to clip_value."""
    p = torch.nn.Parameter(torch.zeros(4))
    p.grad = torch.tensor([-3.0, -0.5, 0.5, 3.0])
    torch.nn.utils.clip_grad_value_([p], -1.0)
    assert p.grad.tolist() == [-1.0] * 4


def test_unknown_names():
    with pytest.raises(SpecError, match="did you mean 'norm'"):
        clipping.generate_clip("norms", "torch")
    with pytest.raises(SpecError, match="unknown target"):
        clipping.generate_clip("norm", "jax")
