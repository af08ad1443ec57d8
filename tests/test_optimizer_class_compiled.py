"""The compiled path (``api.optimizer_class(rule, path="compiled")``): each tensor's update one
``torch.compile`` kernel, checked against the eager class of the same operation order (itself
bit-equal to the reference) within a stated bound.

The bound, per element after ``k`` steps of a float32 parameter ``p``:
``|compiled - eager| <= k * 8 * eps32 * (|p| + lr_max)`` (eps32 = 2^-23): each step may round each
of a handful of operations differently (a fused kernel contracts and reassociates within an
expression), each by an ulp of the value it writes.  The bound is checked to be tight enough
to fail a step whose scalars froze at the first step's values.
"""

import subprocess
import sys

import pytest
import torch
from torch._dynamo.eval_frame import _debug_get_cache_entry_list

from optsym import api, rules
from optsym.spec import SpecError

EPS32 = 2.0 ** -23
STEPS = 8

pytestmark = [pytest.mark.timeout(900),
              # torch.compile's own internals call the deprecated torch.jit.script_method
              pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated"
                                         ":DeprecationWarning")]


def _run(cls, kw, lrs, seed=0, frozen_step=False):
    """``STEPS`` steps of ``cls`` on two float32 parameters, ``lr`` set per step from ``lrs``;
    ``frozen_step``: the step count reset to 0 before each step (bias corrections of step 1
    every step: what a compiled kernel with a frozen ``t`` would compute)."""
    g = torch.Generator().manual_seed(seed)
    ps = [torch.randn(4, 5, generator=g).requires_grad_(),
          torch.randn(7, generator=g).requires_grad_()]
    opt = cls(ps, **kw)
    for lr in lrs:
        for group in opt.param_groups:
            group["lr"] = lr
        for p in ps:
            p.grad = torch.randn(p.shape, generator=g)
        if frozen_step:
            for state in opt.state.values():
                state["step"].zero_()
        opt.step()
    return torch.cat([p.detach().reshape(-1) for p in ps]), opt


def _bound(eager, lrs):
    return len(lrs) * 8 * EPS32 * (eager.abs() + max(lrs))


#: (rule, options, lr): Lion and LAMB have no fused kernel in torch; Adam and SGD do; RAdam's
#: rectification switches on after 5 steps (a scalar condition of the kernel, and a square root
#: of a negative number in the branch not taken)
CASES = [("lion", {}, 1e-3), ("lamb", {}, 1e-2), ("adam", {}, 1e-2),
         ("sgd", {"momentum": 0.9}, 1e-2), ("radam", {}, 1e-2)]


@pytest.mark.parametrize("name, options, lr", CASES)
def test_compiled_class_is_within_the_bound_of_the_eager_class(name, options, lr):
    """The compiled class against the eager class of the same operation order, with the lr
    changed every step (a scheduler's work): within the bound, and the scalars are inputs of
    the kernel, not constants: at most 4 compilations in 8 steps (the first sizes, then sizes
    made symbolic; twice for SGD's first-step branch), not one a step; a class whose lr or
    step froze would be far outside the bound."""
    rule = rules.get(name)
    order = "foreach" if "foreach" in rule.paths else "single"
    kw = rule.reference.kwargs(rule.hypers, rule.config(options))
    lrs = [lr * (1 - 0.1 * k) for k in range(STEPS)]
    cls = api.optimizer_class(name, options, path="compiled")
    compiled, _ = _run(cls, kw, lrs)
    frames = len(_debug_get_cache_entry_list(cls.__init__.__globals__["_update"].__code__))
    eager, _ = _run(api.optimizer_class(name, options, path=order), kw, lrs)
    assert torch.all((compiled - eager).abs() <= _bound(eager, lrs)), \
        float((compiled - eager).abs().max())
    assert frames <= 4, f"{frames} compilations in {STEPS} steps: a scalar was specialized"
    frozen, _ = _run(api.optimizer_class(name, options, path=order), kw, [lrs[0]] * STEPS)
    if name == "adam":  # the bias corrections too: the step count frozen at 1
        frozen, _ = _run(api.optimizer_class(name, options, path=order), kw, lrs,
                         frozen_step=True)
    assert torch.any((frozen - eager).abs() > _bound(eager, lrs))


def test_every_rule_with_a_compiled_path_runs_within_the_bound():
    """Every rule's default configuration that has a compiled path (all but NAdam, ASGD and
    Adafactor) runs 8 steps within the bound of its eager class."""
    ran = []
    for name in rules.names():
        rule = rules.get(name)
        try:
            cls = api.optimizer_class(name, path="compiled")
        except SpecError:
            continue
        order = "foreach" if "foreach" in rule.paths else "single"
        kw = rule.reference.kwargs(rule.hypers, rule.config({}))
        lrs = [kw.get("lr", 1e-3) * (1 - 0.05 * k) for k in range(STEPS)]
        compiled, _ = _run(cls, kw, lrs)
        eager, _ = _run(api.optimizer_class(name, path=order), kw, lrs)
        assert torch.all((compiled - eager).abs() <= _bound(eager, lrs)), name
        ran.append(name)
    assert len(ran) == len(rules.names()) - 3, ran


def test_compiled_source_and_refusals():
    """The module compiles one kernel per tensor update with fullgraph=True (a graph break is an
    error, not a silent fallback); rules that read per-tensor numbers or shapes are refused
    by name."""
    source = api.optimizer_class("lion", path="compiled", source=True)
    assert "torch.compile(_update, dynamic=True, fullgraph=True)" in source
    assert "--impl compiled" in source
    for name, why in (("nadam", "numbers kept per tensor"), ("asgd", "numbers kept per tensor"),
                      ("adafactor", "shape")):
        with pytest.raises(SpecError, match=why):
            api.optimizer_class(name, path="compiled")


@pytest.mark.parametrize("args, message", [
    (["codegen", "lion", "--impl", "compiled"], "--impl compiled is a path of --target"),
    (["codegen", "nadam", "--target", "torch-optimizer", "--impl", "compiled"],
     "nadam has no compiled path"),
])
def test_cli_refuses_a_compiled_path_in_one_line(args, message):
    proc = subprocess.run([sys.executable, "-m", "optsym", *args], capture_output=True,
                          text=True)
    assert proc.returncode == 2 and message in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_cli_prints_the_compiled_class():
    proc = subprocess.run([sys.executable, "-m", "optsym", "codegen", "lion", "--target",
                           "torch-optimizer", "--impl", "compiled"], capture_output=True,
                          text=True, check=True)
    assert "torch.compile(_update, dynamic=True, fullgraph=True)" in proc.stdout
    assert "class Lion(torch.optim.Optimizer)" in proc.stdout
