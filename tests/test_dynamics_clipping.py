"""Clipping in the dynamics: ``plot curves --clip-norm/--clip-value`` against torch's loop with
``torch.nn.utils.clip_grad_norm_/clip_grad_value_``, and the clipping-cliff claim with mutations."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from optsym.cli import cli
from optsym.dynamics import claims_clipping as cc
from optsym.dynamics.clipped import angle_degrees, clip_function
from optsym.dynamics.curves import curves_data
from optsym.figures.race import racer
from optsym.objective import parse_objective

X0 = (-1.5, 2.0)


def _torch_clipped(make, clip, steps=40):
    """torch's loop on x^2 + 10 y^2: backward, clip_grad_*_, step."""
    p = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
    opt = make([p])
    out = [p.detach().numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        (p[0] ** 2 + 10 * p[1] ** 2).backward()
        if clip[0] == "norm":
            torch.nn.utils.clip_grad_norm_([p], clip[1])
        else:
            torch.nn.utils.clip_grad_value_([p], clip[1])
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.array(out)


CASES = [
    ("gd", ("norm", 0.7), lambda ps: torch.optim.SGD(ps, lr=0.04)),
    ("gd", ("value", 0.3), lambda ps: torch.optim.SGD(ps, lr=0.04)),
    ("momentum", ("norm", 0.7), lambda ps: torch.optim.SGD(ps, lr=0.04, momentum=0.9)),
    ("adam", ("value", 0.3), lambda ps: torch.optim.Adam(ps, lr=0.04)),
]


@pytest.mark.parametrize("name,clip,make", CASES, ids=[f"{c[0]}-{c[1][0]}" for c in CASES])
def test_clipped_curves_match_torch(name, clip, make):
    c = curves_data(parse_objective("x^2 + 10*y^2"), X0, [racer(name, 0.04, {})], 40,
                    clip=clip)[0]
    np.testing.assert_allclose(c.paths[0], _torch_clipped(make, clip), rtol=1e-13, atol=1e-15)
    # and the clipping changed the run
    plain = curves_data(parse_objective("x^2 + 10*y^2"), X0, [racer(name, 0.04, {})], 40)[0]
    assert np.max(np.abs(plain.paths[0] - c.paths[0])) > 1e-3


def test_generated_clip_is_torchs_and_angles_by_hand():
    g = np.array([3.0, -4.0])
    np.testing.assert_array_equal(clip_function(("norm", 1.0))(g), cc.torch_clip(g, ("norm", 1.0)))
    np.testing.assert_array_equal(clip_function(("value", 1.0))(g), [1.0, -1.0])
    # (3, -4) against (1, -1): cos = 7 / (5 sqrt 2)
    assert abs(angle_degrees(g, np.array([1.0, -1.0]))
               - np.degrees(np.arccos(7 / (5 * np.sqrt(2))))) < 1e-12
    assert angle_degrees(g, clip_function(("norm", 1.0))(g)) < 1e-6


def test_clipping_cliff_holds_with_numbers():
    c = cc.clipping_cliff()
    m = c.measured
    assert c.holds, m
    assert m["plain"]["max_update"] > 50 and m["plain"]["final_x"][0] < -50
    assert m["clip_norm"]["max_update"] <= 0.5 + 1e-12
    assert m["clip_value"]["max_angle_deg"] > 30
    assert m["torch_gap"] == 0.0
    assert m["grid_lost_plain"] == 14 and m["grid_lost_clipped"] == 0


@pytest.mark.parametrize("kinds", [(None, "value"), ("norm", "norm"), ("value", "value")],
                         ids=["not-clipped", "norm-for-value", "value-for-norm"])
def test_clipping_cliff_mutations_fail(kinds):
    """Not clipping is lost; norm clipping does not turn the gradient; value clipping steps
    over lr*c (by up to sqrt 2)."""
    assert not cc.clipping_cliff(kinds=kinds, grid=((4.0,), (2.0,))).holds


def test_clipping_cliff_loose_threshold_fails():
    assert not cc.clipping_cliff(threshold=1e3, grid=((4.0,), (2.0,))).holds


def test_check_rejects_reversed_numbers():
    good = dict(plain_final=-50.0, plain_max_update=80.0, norm_final=-60.0,
                norm_max_update=0.5, bound=0.5, value_final=-60.0, norm_angle=0.0,
                value_angle=35.0, torch_gap=0.0, lost_plain=3, lost_clipped=0)
    assert cc.check_clipping(**good)
    for key, bad in (("plain_final", -60.0), ("norm_final", -50.0), ("norm_max_update", 0.6),
                     ("value_angle", 0.0), ("norm_angle", 5.0), ("torch_gap", 1e-16),
                     ("lost_clipped", 1), ("lost_plain", 0)):
        assert not cc.check_clipping(**{**good, key: bad}), key


def test_plot_curves_clip_json_and_errors(tmp_path):
    run = CliRunner().invoke
    r = run(cli, ["plot", "curves", "--rules", "gd", "--lr", "0.04", "--steps", "20",
                  "--clip-value", "0.3", "--json", "-o", str(tmp_path / "c.png")])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["clip"] == {"kind": "value", "threshold": 0.3}
    assert (tmp_path / "c.png").stat().st_size > 10_000
    for args, message in ((["--clip-norm", "1", "--clip-value", "1"], "one of"),
                          (["--clip-norm", "-1"], "max_norm must be"),
                          (["--clip-value", "x+"], "--clip-value")):
        r = run(cli, ["plot", "curves", "--steps", "5", *args])
        assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output, args


def test_claims_clipping_cliff_figure(tmp_path):
    out = tmp_path / "cliff.svg"
    r = CliRunner().invoke(cli, ["claims", "clipping-cliff", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "clipping-cliff: HOLDS" in r.output and out.stat().st_size > 20_000


@pytest.mark.parametrize("clip", [None, ("norm", 1.0), ("value", 1.0)],
                         ids=["plain", "norm", "value"])
def test_cliff_runs_match_torch(clip):
    """The claim's three runs on the cliff against torch.optim.SGD by autograd of the same
    formula, clipped by torch.nn.utils between backward() and step()."""
    obj = parse_objective(cc.CLIFF)
    ours = cc.run(obj, (4.0, 2.0), 0.5, 60, clip)["path"]
    p = torch.tensor([4.0, 2.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.5)
    ref = [p.detach().numpy().copy()]
    for _ in range(60):
        opt.zero_grad()
        x, y = p[0], p[1]
        (50 * torch.tanh(5 * (x - 2)) - 10 * torch.exp(-(x**2 + 4 * y**2) / 32)).backward()
        if clip is not None and clip[0] == "norm":
            torch.nn.utils.clip_grad_norm_([p], clip[1])
        elif clip is not None:
            torch.nn.utils.clip_grad_value_([p], clip[1])
        opt.step()
        ref.append(p.detach().numpy().copy())
    np.testing.assert_allclose(ours, np.array(ref), rtol=1e-12, atol=1e-12)
