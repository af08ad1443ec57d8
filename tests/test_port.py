"""``optsym port``: every mapping it claims is confirmed by running the real libraries.

The independent referee is the libraries themselves (torch.optim, optax, Keras 3 on JAX): a
mapping is claimed only when both real optimizers agree over 100 steps under a changing learning
rate, and "no mapping" is claimed only with a named convention and a run in which they do part.
The expected mappings below come from the libraries' own documented signatures and defaults
(torch RMSprop ``alpha=0.99`` with eps outside the root, optax ``rmsprop(decay=0.9)``, ...),
not from optsym's output.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("optax", reason="optax is not installed (pip install 'optsym[jax]')")

from optsym import port as porting  # noqa: E402
from optsym.spec import SpecError  # noqa: E402

try:
    porting.require("keras")
except SpecError as exc:
    pytest.skip(str(exc), allow_module_level=True)

LR = {"torch": "lr", "optax": "learning_rate", "keras": "learning_rate"}
SOURCES = [
    ("torch.optim.SGD", {"momentum": 0.9}),
    ("torch.optim.SGD", {"momentum": 0.9, "nesterov": True}),
    ("torch.optim.RMSprop", {}),
    ("torch.optim.RMSprop", {"momentum": 0.9}),
    ("torch.optim.Adagrad", {}),
    ("torch.optim.Adam", {}),
    ("torch.optim.AdamW", {}),
    ("optax.sgd", {"momentum": 0.9}),
    ("optax.sgd", {"momentum": 0.9, "nesterov": True}),
    ("optax.rmsprop", {}),
    ("optax.adagrad", {}),
    ("optax.adam", {}),
    ("optax.adamw", {}),
    ("keras.optimizers.SGD", {"momentum": 0.9}),
    ("keras.optimizers.SGD", {"momentum": 0.9, "nesterov": True}),
    ("keras.optimizers.RMSprop", {}),
    ("keras.optimizers.Adagrad", {}),
    ("keras.optimizers.Adam", {}),
    ("keras.optimizers.AdamW", {}),
]
CASES = [(src, args, to) for src, args in SOURCES
         for to in ("torch", "optax", "keras") if not src.startswith(to)]


def _port(source: str, to: str, args: dict, **kw) -> porting.PortReport:
    lib = source.split(".")[0]
    return porting.port(source, to, {LR[lib]: 0.01, **args}, **kw)


@pytest.mark.parametrize("source,args,to", CASES,
                         ids=[f"{s}{'+' + '+'.join(a) if a else ''}->{t}" for s, a, t in CASES])
def test_every_verdict_is_what_the_real_libraries_do(source, args, to):
    report = _port(source, to, args)
    assert report.verdict in ("equal", "no mapping"), report.as_dict()
    if report.verdict == "equal":
        assert report.check["agree"] and not report.mismatches
    else:  # the exact reason, and the closest mapping does part from the source in the run
        assert report.mismatches and all(m.line() for m in report.mismatches)
        assert not report.check["agree"] and report.check["first_step"] >= 1
    assert report.settings["steps"] == 100 and not report.settings["constant_lr"]


def test_rmsprop_torch_to_optax_takes_torch_defaults_and_eps_outside_the_root():
    report = _port("torch.optim.RMSprop", "optax", {})
    assert report.verdict == "equal"
    assert "decay=0.99" in report.mapping_code and "eps_in_sqrt=False" in report.mapping_code
    rows = {d["convention"]: d for d in report.defaults}
    assert rows["decay"]["target_argument"] == "decay" and rows["decay"]["target_default"] == 0.9
    assert not report.naive_check["agree"]  # optax.rmsprop(0.01) alone is not torch's RMSprop


def test_rmsprop_momentum_needs_an_optax_chain_because_optax_applies_lr_after_momentum():
    report = _port("torch.optim.RMSprop", "optax", {"momentum": 0.9})
    assert report.verdict == "equal" and report.mapping_code.startswith("optax.chain(")
    assert report.alias is not None and not report.alias["check"]["agree"]
    # under a constant learning rate the order does not matter and the alias does
    flat = _port("torch.optim.RMSprop", "optax", {"momentum": 0.9}, constant_lr=True)
    assert flat.verdict == "equal" and flat.mapping_code.startswith("optax.rmsprop(")


def test_adagrad_eps_placement_is_the_only_obstacle_and_vanishes_at_eps_zero():
    report = _port("torch.optim.Adagrad", "optax", {})
    assert report.verdict == "no mapping"
    assert [m.canon for m in report.mismatches] == ["eps_in_sqrt"]
    exact = _port("torch.optim.Adagrad", "optax", {"eps": 0.0, "initial_accumulator_value": 0.1})
    assert exact.verdict == "equal", exact.as_dict()
    # optax starts its accumulator at 0.1, torch at 0: a default that differs from step 1
    rows = {d["convention"]: d for d in _port("torch.optim.Adagrad", "optax", {"eps": 0.0}).defaults}
    assert rows["v0"]["target_default"] == 0.1


def test_keras_adam_eps_hat_has_no_torch_mapping_except_at_eps_zero():
    report = _port("torch.optim.Adam", "keras", {})
    assert report.verdict == "no mapping" and [m.canon for m in report.mismatches] == ["eps_form"]
    assert _port("torch.optim.Adam", "keras", {"eps": 0.0}).verdict == "equal"


def test_grad_scale_changes_the_effect_of_a_default():
    big = _port("torch.optim.RMSprop", "optax", {}, grad_scale=1.0)
    small = _port("torch.optim.RMSprop", "optax", {}, grad_scale=1e-4)
    eff = {d["convention"]: d["effect"]["final_gap"] for d in big.defaults if d.get("effect")}
    eff_small = {d["convention"]: d["effect"]["final_gap"] for d in small.defaults
                 if d.get("effect")}
    # eps placement hardly matters for unit gradients and dominates for tiny ones
    assert eff_small["eps_in_sqrt"] > 100 * eff["eps_in_sqrt"]


def test_cli_exit_codes_and_seeded_json(run_cli):
    first = run_cli("port", "torch.optim.Adam", "--to", "optax", "--steps", "30", "--json")
    again = run_cli("port", "torch.optim.Adam", "--to", "optax", "--steps", "30", "--json")
    assert first.exit_code == 0 and first.output == again.output
    assert json.loads(first.output)["verdict"] == "equal"
    assert run_cli("port", "torch.optim.Adagrad", "--to", "keras", "--steps", "10").exit_code == 1
    text = run_cli("port", "torch.optim.RMSprop", "--to", "optax", "--alpha", "0.9").output
    equal = next(line for line in text.splitlines() if line.startswith("EQUAL: "))
    # alpha=0.9 is optax's own default decay: the mapping needs only eps outside the root
    assert equal.startswith("EQUAL: optax.rmsprop(") and "eps_in_sqrt=False" in equal
    assert "decay=" not in equal


@pytest.mark.parametrize("argv,needle", [
    (("torch.optim.Adamm", "--to", "optax"), "torch.optim.Adam"),
    (("torch.optim.Adam", "--to", "torch"), "already a torch optimizer"),
    (("torch.optim.Adam", "--to", "optax", "--decay", "0.9"), "decay"),
    (("torch.optim.Adam", "--to", "optax", "--lr"), "needs a value"),
    (("torch.optim.Adam", "--to", "optax", "--lr", "abc"), "--lr"),
    (("optax.adam", "--to", "torch"), "--learning-rate"),
    (("torch.optim.Adam", "--to", "optax", "--grad-scale", "-1"), "--grad-scale"),
])
def test_usage_errors_are_one_line_exit_2(run_cli, argv, needle):
    result = run_cli("port", *argv)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and needle in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_missing_optional_library_says_how_to_install(monkeypatch):
    import importlib

    real = importlib.import_module

    def fake(name, *a, **k):
        if name == "optax":
            raise ImportError(name)
        return real(name, *a, **k)

    monkeypatch.setattr(importlib, "import_module", fake)
    with pytest.raises(SpecError, match=r"pip install 'optsym\[jax\]'"):
        porting.require("optax")


def test_keras_folds_the_lr_into_momentum_which_only_a_changing_lr_shows():
    scheduled = _port("torch.optim.SGD", "keras", {"momentum": 0.9, "nesterov": True})
    assert scheduled.verdict == "no mapping"
    assert [m.canon for m in scheduled.mismatches] == ["momentum_lr"]
    assert _port("torch.optim.SGD", "keras", {"momentum": 0.9, "nesterov": True},
                 constant_lr=True).verdict == "equal"


FAMILY_SOURCES = {"momentum": ("torch.optim.SGD", {"momentum": 0.9}),
                  "nesterov": ("torch.optim.SGD", {"momentum": 0.9, "nesterov": True}),
                  "rmsprop": ("torch.optim.RMSprop", {}),
                  "adagrad": ("torch.optim.Adagrad", {"initial_accumulator_value": 0.1}),
                  "adam": ("torch.optim.Adam", {}), "adamw": ("torch.optim.AdamW", {})}


LIBRARY_ROWS = [(family, lib) for family in FAMILY_SOURCES for lib in ("optax", "keras")]


@pytest.mark.parametrize("family,to", LIBRARY_ROWS, ids=[f"{f}-{t}" for f, t in LIBRARY_ROWS])
def test_the_conventions_table_rows_for_optax_and_keras_are_what_the_real_libraries_do(family,
                                                                                        to):
    """The table's symbolic verdict for a library, against that library run by ``port``."""
    from optsym import conventions
    from optsym.conventions.table import rows

    row = next(r.as_dict() for r in rows([conventions.get(family)]) if r.convention == to)
    source, args = FAMILY_SOURCES[family]
    when = row["equal_to_torch"]
    report = _port(source, to, args)
    if when == "always":
        assert report.verdict == "equal"
    elif when.startswith("when the lr does not change"):
        assert report.verdict == "no mapping"
        assert _port(source, to, args, constant_lr=True).verdict == "equal"
    else:
        assert "eps = 0" in when, when
        eps_conventions = {"eps_in_sqrt", "eps_form"}
        differs = {m.canon for m in report.mismatches} | {d["convention"] for d in report.defaults}
        assert differs & eps_conventions, report.as_dict()
        assert _port(source, to, {**args, "eps": 0.0}).verdict == "equal"


def test_a_zero_first_gradient_with_eps_zero_is_nan_in_torch_and_zero_in_optax():
    report = _port("torch.optim.Adagrad", "optax", {"eps": 0.0})
    assert report.verdict == "no mapping"
    assert [m.canon for m in report.mismatches] == ["zero_where_empty"]
    assert not report.check["agree"]  # the parameter whose gradient starts at 0
    assert report.check["first_element"] == report.settings["dim"] - 1
