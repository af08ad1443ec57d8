"""The ``--impl foreach`` class runs torch's multi-tensor operations (``torch._foreach_*``).

Bit-equality with ``foreach=True`` references is in ``test_optimizer_class.py``; here: the
operations the step dispatches, counted at torch's dispatcher and compared with the reference's
own, the grouping by device and dtype, and the lowering of hand-written loops.
"""

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from optsym import api, rules
from optsym.codegen.foreach import lower_loop
from optsym.codegen.optimizer_class import generate_class


class _Ops(TorchDispatchMode):
    """Records every ATen operation dispatched (name, length of a list first argument)."""

    def __init__(self):
        super().__init__()
        self.ops = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        first = args[0] if args else None
        self.ops.append((func.overloadpacket.__name__,
                         len(first) if isinstance(first, (list, tuple)) else None))
        return func(*args, **(kwargs or {}))


def _ops_of_a_step(make, shapes=((3, 2), (3, 2), (4,)), dtypes=None):
    """The operations of the third step (state allocated, past SGD's first-step branch)."""
    g = torch.Generator().manual_seed(0)
    dtypes = dtypes or [torch.float32] * len(shapes)
    ps = [torch.nn.Parameter(torch.randn(s, generator=g, dtype=d)) for s, d in zip(shapes, dtypes)]
    for p in ps:
        p.grad = torch.randn(p.shape, generator=g, dtype=p.dtype)
    opt = make(ps)
    opt.step(), opt.step()
    with _Ops() as seen:
        opt.step()
    return seen.ops


def _foreach(ops):
    return [name for name, _ in ops if name.startswith("_foreach_")]


#: rules whose whole update lowers to multi-tensor operations, in the reference's own order
WHOLLY = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "radam", "adamax", "adadelta")


@pytest.mark.parametrize("name", WHOLLY)
def test_the_foreach_class_dispatches_the_references_multi_tensor_operations(name):
    """The sequence of ``_foreach_`` operations of one step is the reference's (foreach=True)
    own, and no single-tensor arithmetic is left (only ``.item()`` of the step counts)."""
    rule = rules.get(name)
    over = {"momentum": 0.9} if name == "sgd" else {}
    cfg, ref = rule.config(over), rule.reference
    kw = ref.kwargs(rule.hypers, cfg)
    theirs = _ops_of_a_step(lambda ps: ref.load(name)(ps, **kw, foreach=True))
    ours = _ops_of_a_step(lambda ps: api.optimizer_class(name, over, path="foreach")(ps, **kw))
    assert _foreach(ours) == _foreach(theirs)
    others = {n for n, _ in ours if not n.startswith("_foreach_")}
    assert others <= {"_local_scalar_dense", "_record_function_enter_new",
                      "_record_function_exit"}, others


@pytest.mark.parametrize("name", WHOLLY)
def test_the_single_tensor_class_fails_the_same_check(name):
    """The check above detects a per-tensor step: the single-path class dispatches no
    multi-tensor operation, and one arithmetic operation per tensor."""
    over = {"momentum": 0.9} if name == "sgd" else {}
    kw = rules.get(name).reference.kwargs(rules.get(name).hypers, rules.get(name).config(over))
    ops = _ops_of_a_step(lambda ps: api.optimizer_class(name, over)(ps, **kw))
    assert [n for n in _foreach(ops) if n != "_foreach_add_"] == []
    assert len([n for n, _ in ops if not n.startswith("_")]) >= 3


def test_every_rule_with_a_foreach_path_runs_multi_tensor_operations():
    """Every rule's foreach class, on every configuration of its sweep, dispatches at least one
    ``_foreach_`` operation besides counting its steps, and its source has no loop over i."""
    for name in rules.names():
        rule = rules.get(name)
        if "foreach" not in rule.paths:
            continue
        for over in rule.sweep:
            source = generate_class(rule, rule.config(over), "foreach")
            assert "for i in range(len(params))" not in source, (name, over)
            kw = rule.reference.kwargs(rule.hypers, rule.config(over))
            cls = api.optimizer_class(name, over, path="foreach")
            arithmetic = [n for n in _foreach(_ops_of_a_step(lambda ps: cls(ps, **kw)))]
            assert len(arithmetic) >= 2 or (name, arithmetic) == ("sgd", ["_foreach_add_"]), \
                (name, over, arithmetic)


def test_tensors_are_grouped_by_dtype_as_torch_groups_them():
    """float32 and float64 parameters of one group: one multi-tensor call per dtype, over the
    parameters of that dtype, as torch.optim.Adam(foreach=True) makes them."""
    dtypes = [torch.float32, torch.float64, torch.float32, torch.float32, torch.float64]
    shapes = [(3,), (2,), (4,), (5,), (1,)]
    ours = _ops_of_a_step(lambda ps: api.optimizer_class("adam", path="foreach")(ps),
                          shapes, dtypes)
    theirs = _ops_of_a_step(lambda ps: torch.optim.Adam(ps, foreach=True), shapes, dtypes)
    lerps = [n for name, n in ours if name == "_foreach_lerp_"]
    assert sorted(lerps) == [2, 3]
    assert sorted(lerps) == sorted(n for name, n in theirs if name == "_foreach_lerp_")


def test_gradients_are_not_written():
    """maximize and an L2 penalty rewrite the gradient: as new lists, never into ``p.grad``."""
    over = {"maximize": True, "weight_decay": 0.1}
    cls = api.optimizer_class("adam", over, path="foreach")
    ps = [torch.nn.Parameter(torch.ones(3)), torch.nn.Parameter(torch.ones(2))]
    grads = [torch.full((3,), 0.5), torch.full((2,), -0.25)]
    for p, g in zip(ps, grads):
        p.grad = g.clone()
    cls(ps, weight_decay=0.1, maximize=True).step()
    assert all(torch.equal(p.grad, g) for p, g in zip(ps, grads))


def _lower(body, tensors, owned=frozenset({"param"})):
    lines = ["        " + ln for ln in body]
    return [ln[4:].replace("\n    ", "\n")
            for ln in lower_loop(lines, set(tensors), set(owned), {"params", "grads"})]


def test_lowering_a_chain_in_place_and_a_fresh_temporary():
    """Hand-lowered: torch's foreach Adam writes these calls (torch/optim/adam.py)."""
    assert _lower(["param = params[i]", "grad = grads[i]", 'v = state["v"][i]',
                   "v = v.mul_(b2).addcmul_(grad, grad, value=1 - b2)",
                   "denom = torch.sqrt(v).div_(c).add_(eps)",
                   "param = param.addcdiv_(grad, denom, value=-lr)",
                   "params[i].copy_(param)", 'state["v"][i] = v'],
                  {"param", "grad", "v", "denom"}, {"param", "v"}) == [
        'vs = state["v"]',
        "torch._foreach_mul_(vs, b2)",
        "torch._foreach_addcmul_(vs, grads, grads, value=1 - b2)",
        "denoms = torch._foreach_sqrt(vs)",
        "torch._foreach_div_(denoms, c)",
        "torch._foreach_add_(denoms, eps)",
        "torch._foreach_addcdiv_(params, grads, denoms, value=-lr)"]


def test_a_fresh_list_takes_tensor_operands_in_place_only_at_the_parameters_shape():
    """``sqrt(v) * g`` in place on the fresh ``sqrt(v)`` when ``v`` has the parameter's shape;
    from a smaller ``r`` (Adafactor's row factor) the product would broadcast past it."""
    body = ["grad = grads[i]", 'v = state["v"][i]', "u = torch.mul(torch.sqrt(v), grad)"]
    assert _lower(body, {"grad", "v", "u"})[1:] == [
        "us = torch._foreach_mul(torch._foreach_sqrt(vs), grads)"]
    assert [ln[4:].replace("\n    ", "\n") for ln in lower_loop(
        ["        " + ln for ln in body], {"grad", "v", "u"}, set(), set(),
        {"grad", "v"})][1:] == ["us = torch._foreach_sqrt(vs)", "torch._foreach_mul_(us, grads)"]


def test_lowering_keeps_unowned_and_aliased_tensors_out_of_place():
    """The gradient is not the step's to write; a buffer aliased by another name is not
    written in place (the alias would change with it)."""
    assert _lower(["grad = grads[i]", "grad = torch.add(grad, grad, alpha=w)"], {"grad"}) == [
        "grads = torch._foreach_add(grads, grads, alpha=w)"]
    assert _lower(["grad = grads[i]", 'buf = state["buf"][i]', "d = buf",
                   "buf = torch.maximum(buf, grad)", 'state["buf"][i] = buf'],
                  {"grad", "buf", "d"}, {"buf"}) == [
        'bufs = state["buf"]', "ds = bufs", "bufs = torch._foreach_maximum(bufs, grads)",
        'state["buf"] = bufs']
    assert _lower(['grad = grads[i]', 'buf = state["buf"][i]', "buf = torch.maximum(buf, grad)"],
                  {"grad", "buf"}, {"buf"})[-1] == "torch._foreach_maximum_(bufs, grads)"


def test_lowering_leaves_what_has_no_multi_tensor_form_per_tensor():
    """A norm, .item() and a per-tensor conditional stay per tensor; numbers per tensor go
    to the ScalarList overloads; a conditional common to all tensors becomes an if."""
    out = _lower(["param = params[i]", "grad = grads[i]",
                  "n = torch.linalg.norm(param).item()",
                  "c = -lr / n",
                  "param = param.add_(grad, alpha=1) if t > 1 else torch.where(grad > 0, param, 0)",
                  "param = param.addcdiv_(grad, grad, value=c)", "params[i].copy_(param)"],
                 {"param", "grad"})
    assert out == [
        "given = params",
        "ns = [torch.linalg.norm(param).item() for param in params]  # per tensor",
        "cs = [-lr / n for n in ns]  # per tensor",
        "if t > 1:",
        "    torch._foreach_add_(params, grads, alpha=1)",
        "else:",
        "    params = [torch.where(grad > 0, param, 0) for grad, param in zip(grads, params)]"
        "  # per tensor",
        "torch._foreach_addcdiv_(params, grads, grads, cs)",
        "for p, new in zip(given, params):\n    if p is not new:\n        p.copy_(new)"]
