r"""Run a rule's reference: the independent implementation its spec declares.

The rule's :class:`~optsym.references.Reference` says what runs: torch's functional API
through an adapter (:mod:`optsym.verify.functional`, the quick path for the ``torch.optim``
rules), or the reference class itself (``pytorch_optimizer.Lion``, a class from the user's own
file), constructed with the configuration mapped onto its arguments and stepped with ``p.grad``
set.  A test runs every sweep configuration through the classes too and requires bit-identical
trajectories.

:func:`run_reference` returns snapshots: index 0 is the initial state, index k the state after
step k, each ``{"param": [...], <state name>: [...]}`` of tensor clones, keyed by the rule's
state names (the reference's own keys are mapped by the reference's ``states``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from optsym.spec import Config, Rule

Snapshot = dict[str, list[torch.Tensor]]


def _rule(rule: Rule | str) -> Rule:
    if isinstance(rule, str):
        from optsym import rules

        return rules.get(rule)
    return rule


def reference_class(rule: Rule | str) -> type:
    """The reference class (``torch.optim.Adam``, ``pytorch_optimizer.Lion``); a missing
    optional dependency raises :class:`~optsym.references.MissingReference` (one line)."""
    rule = _rule(rule)
    return rule.reference.load(rule.name)


class _LiveState:
    """A class-based reference's state, read at snapshot time (its tensors appear at step 1)."""

    def __init__(self, opt, params, keys: dict[str, str]) -> None:
        self.opt, self.params, self.keys = opt, params, keys

    def items(self):
        return [(k, [self.opt.state[p].get(theirs) for p in self.params])
                for k, theirs in self.keys.items()]


def _class_adapter(rule: Rule):
    """Run the reference class itself: per step set ``p.grad``, then ``step()``."""

    def adapter(params, cfg: Config, path: str):
        ref = rule.reference
        opt = reference_class(rule)(params, **ref.kwargs(rule.hypers, cfg), **ref.flags(path))
        state = _LiveState(opt, params, {s.name: ref.state_key(s.name) for s in rule.states(cfg)})

        def step(grads):
            for p, g in zip(params, grads):
                p.grad = g
            opt.step()

        return state, step

    return adapter


def adapter_for(rule: Rule):
    """The rule's functional adapter where its reference declares one, else its class."""
    return rule.reference.adapter() or _class_adapter(rule)


def _snapshot(params, state, like) -> Snapshot:
    snap = {"param": [p.detach().clone() for p in params]}
    for key, tensors in state.items():
        snap[key] = [torch.zeros_like(p) if x is None else x.detach().clone()
                     for x, p in zip(tensors, like)]
    return snap


def run_reference(rule: Rule | str, cfg: Config, params: list[torch.Tensor],
                  grads: list[list[torch.Tensor]], path: str = "single") -> list[Snapshot]:
    """The reference's trajectory from ``params`` over the gradient stream ``grads``, on
    ``path`` (``rule``: a rule or a registered rule's name)."""
    rule = _rule(rule)
    reference_class(rule)  # a missing dependency: one line, before any work
    params = [p.detach().clone() for p in params]
    state, step = adapter_for(rule)(params, cfg, path)
    snaps = [_snapshot(params, state, params)]
    with torch.no_grad():
        for g in grads:
            step([x.clone() for x in g])
            snaps.append(_snapshot(params, state, params))
    return snaps


def run_torch_class(rule: Rule | str, cfg: Config, params: list[torch.Tensor],
                    grads: list[list[torch.Tensor]], **flags) -> list[Snapshot]:
    """The same trajectory through the reference class (slow to import; used in tests)."""
    return _class_loop(_rule(rule), cfg, params, grads, flags).snaps


@dataclass
class Composed:
    """A torch run of optimizer + scheduler + clipping: snapshots, and per step the learning
    rate torch used and the gradients after clipping."""

    snaps: list[Snapshot]
    lrs: list[float]
    grads: list[list[torch.Tensor]]


def run_composed(rule: Rule | str, cfg: Config, params: list[torch.Tensor],
                 grads: list[list[torch.Tensor]], path: str = "single",
                 schedule: tuple[str, Config] | None = None,
                 clip: tuple[str, float] | None = None) -> Composed:
    """torch's training loop as a user writes it: per step set ``.grad``, clip with
    ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``, ``optimizer.step()``, then
    ``scheduler.step()``.  Uses the ``torch.optim`` class (the scheduler needs one)."""
    rule = _rule(rule)
    return _class_loop(rule, cfg, params, grads, rule.reference.flags(path), schedule, clip)


def _class_loop(rule: Rule, cfg: Config, params: list[torch.Tensor],
                grads: list[list[torch.Tensor]], flags: dict,
                schedule: tuple[str, Config] | None = None,
                clip: tuple[str, float] | None = None) -> Composed:
    import warnings

    import torch.optim

    from optsym.verify.schedule_reference import make_scheduler

    ref = rule.reference
    params = [torch.nn.Parameter(p.detach().clone()) for p in params]
    opt = reference_class(rule)(params, **ref.kwargs(rule.hypers, cfg), **flags)
    sched = make_scheduler(schedule[0], opt, schedule[1]) if schedule else None
    keys = {s.name: ref.state_key(s.name) for s in rule.states(cfg)}
    # a state torch has not created yet (before step 1) holds its initial value (Rprop: lr)
    inits = {s.name: float(s.init.subs({h.symbol: cfg[h.name] for h in rule.hypers
                                         if h.symbol is not None and cfg[h.name] is not None}))
             for s in rule.states(cfg)}
    # a scalar state (NAdam's mu_product, ASGD's eta) is a 0-d float32 tensor in torch
    scalar_keys = {s.name for s in rule.states(cfg) if s.scalar}

    def initial(key: str, p: torch.Tensor) -> torch.Tensor:
        return (torch.tensor(inits[key], dtype=torch.float32) if key in scalar_keys
                else torch.full_like(p, inits[key]))

    def snap() -> Snapshot:
        out = {"param": [p.detach().clone() for p in params]}
        for key, theirs in keys.items():
            out[key] = [opt.state[p][theirs].detach().clone() if theirs in opt.state[p]
                        and opt.state[p][theirs] is not None else initial(key, p)
                        for p in params]
        return out

    created = [{k for k, theirs in keys.items() if theirs in opt.state[p]} for p in params]  # the states torch has before step 1
    run = Composed([snap()], [], [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for g in grads:
            for p, gi in zip(params, g):
                p.grad = gi.clone()
            if clip is not None and clip[0] == "norm":
                torch.nn.utils.clip_grad_norm_(params, clip[1])
            elif clip is not None:
                torch.nn.utils.clip_grad_value_(params, clip[1])
            run.grads.append([p.grad.detach().clone() for p in params])
            run.lrs.append(float(opt.param_groups[0]["lr"]))
            opt.step()
            if sched is not None:
                sched.step()
            run.snaps.append(snap())
    # a state torch creates on step 1 held its initial value before, in the shape torch gives
    # it (Adafactor's row_var is (..., n, 1), not the parameter's shape)
    for key in keys if len(run.snaps) > 1 else ():
        for i in range(len(params)):
            if key not in created[i]:
                run.snaps[0][key][i] = torch.full_like(run.snaps[1][key][i], inits[key])
    return run
