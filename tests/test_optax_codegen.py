"""``optsym codegen RULE --target optax``: a GradientTransformation from every rule's spec.

Referees: the rule's own independent reference (``torch.optim`` / ``pytorch_optimizer``), run
on the same float64 gradient stream as the generated transformation (jitted, its updates
applied with ``optax.apply_updates``), and the real optax for the rules optax has.
"""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="jax is not installed (pip install 'optsym[jax]')")
optax = pytest.importorskip("optax", reason="optax is not installed (pip install 'optsym[jax]')")

from optsym import rules  # noqa: E402
from optsym.codegen.module import load  # noqa: E402
from optsym.port.codegen import generate  # noqa: E402

STEPS = 30
SHAPES = [(3, 4), (5,)]


@pytest.fixture(autouse=True)
def _x64():
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", previous)


def _stream(seed: int = 0):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s) for s in SHAPES]
    grads = [[rng.standard_normal(s) for s in SHAPES] for _ in range(STEPS)]
    return params, grads


def _transformation(rule, cfg, **kw):
    module = load(generate(rule, cfg), f"optsym_optax_{rule.name}")
    factory = module[rule.name.replace("-", "_")]
    names = factory.__code__.co_varnames[:factory.__code__.co_argcount]
    return factory(**{**{n: cfg[n] for n in names if n in cfg}, **kw})


def _run(tx, params, grads):
    import jax.numpy as jnp

    ps = [jnp.asarray(p) for p in params]
    state = tx.init(ps)
    update = jax.jit(tx.update)
    out = []
    for gs in grads:
        updates, state = update([jnp.asarray(g) for g in gs], state, ps)
        ps = optax.apply_updates(ps, updates)
        out.append([np.asarray(p) for p in ps])
    return out


def _worst(ours, ref) -> float:
    return max(float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b))))
               for step_a, step_b in zip(ours, ref) for a, b in zip(step_a, step_b))


def _tolerance(rule, cfg) -> float:
    # torch keeps a scalar state (ASGD's eta and mu, NAdam's mu_product) in float32, as the
    # textbook modules do; everything else is float64 throughout
    return 1e-6 if any(s.scalar for s in rule.states(cfg)) else 1e-12


CASES = [(name, i) for name in rules.names() for i in range(len(rules.get(name).sweep))]


@pytest.mark.parametrize("name,i", CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_generated_transformation_follows_the_rules_reference(name, i):
    import torch

    from optsym.references import MissingReference
    from optsym.verify.reference import run_reference

    rule = rules.get(name)
    cfg = rule.config(rule.sweep[i])
    params, grads = _stream(i)
    try:
        snaps = run_reference(rule, cfg, [torch.tensor(p) for p in params],
                              [[torch.tensor(g) for g in gs] for gs in grads])
    except MissingReference as exc:
        pytest.skip(str(exc))
    ref = [[p.numpy() for p in snap["param"]] for snap in snaps[1:]]
    ours = _run(_transformation(rule, cfg), params, grads)
    assert _worst(ours, ref) <= _tolerance(rule, cfg), cfg


def _optax_pairs():
    def schedule(lr):
        return optax.cosine_decay_schedule(lr, STEPS, alpha=0.1)

    return [
        ("adam", {}, lambda c: optax.adam(schedule(c["lr"]), b1=c["beta1"], b2=c["beta2"],
                                          eps=c["eps"])),
        ("adamw", {"weight_decay": 0.05},
         lambda c: optax.adamw(schedule(c["lr"]), b1=c["beta1"], b2=c["beta2"], eps=c["eps"],
                               weight_decay=c["weight_decay"])),
        ("sgd", {"momentum": 0.9, "lr": 0.01},
         lambda c: optax.sgd(schedule(c["lr"]), momentum=c["momentum"])),
        ("sgd", {"momentum": 0.9, "nesterov": True, "lr": 0.01},
         lambda c: optax.sgd(schedule(c["lr"]), momentum=c["momentum"], nesterov=True)),
        ("rmsprop", {}, lambda c: optax.rmsprop(schedule(c["lr"]), decay=c["alpha"],
                                                eps=c["eps"], eps_in_sqrt=False)),
    ]


@pytest.mark.parametrize("name,options,real", _optax_pairs(),
                         ids=[f"{n}-{'-'.join(o)}" for n, o, _ in _optax_pairs()])
def test_generated_transformation_equals_optax_under_a_schedule(name, options, real):
    rule = rules.get(name)
    cfg = rule.config(options)
    params, grads = _stream()
    ours = _run(_transformation(rule, cfg, lr=optax.cosine_decay_schedule(cfg["lr"], STEPS,
                                                                         alpha=0.1)),
                params, grads)
    theirs = _run(real(cfg), params, grads)
    assert _worst(ours, theirs) <= 1e-13


def test_a_wrong_rule_fails_against_the_reference():
    """eps inside the root (optax's RMSprop) is not torch's RMSprop: the check must see it."""
    import torch

    from optsym import conventions
    from optsym.verify.reference import run_reference

    rule = rules.get("rmsprop")
    cfg = rule.config({"eps": 1e-2})
    wrong = conventions.get("rmsprop").get("optax").as_rule(rule)
    params, grads = _stream()
    snaps = run_reference(rule, cfg, [torch.tensor(p) for p in params],
                          [[torch.tensor(g) for g in gs] for gs in grads])
    ref = [[p.numpy() for p in snap["param"]] for snap in snaps[1:]]
    assert _worst(_run(_transformation(wrong, cfg), params, grads), ref) > 1e-6


def test_cli_prints_an_importable_transformation(run_cli):
    result = run_cli("codegen", "adamw", "--weight-decay", "0.1", "--target", "optax")
    assert result.exit_code == 0
    module = load(result.output, "optsym_cli_optax")
    tx = module["adamw"]()
    assert isinstance(tx, optax.GradientTransformation)
    with pytest.raises(ValueError, match="beta"):
        module["adamw"](beta1=1.5)
    assert "weight_decay=0.1" in result.output
