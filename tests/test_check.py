"""``optsym check``: a corpus of user-style implementations gets the right verdict and diagnosis.

Each corpus file under ``tests/check_corpus/`` is written the way a student or a porting
engineer writes it; the planted slip is named in the file's docstring, and the diagnosis must
name it (a variant of the spec that reproduces the target, checked as the spec is).  Most cases
load the target into this process (fast); the command line runs the sandboxed child.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from optsym.check import check
from optsym.testing import assert_matches

CORPUS = Path(__file__).parent / "check_corpus"
STEPS = 30  # the default is 100; 30 steps show every planted slip (most at step 1)


def load(file: str, name: str):
    spec = importlib.util.spec_from_file_location(f"corpus_{Path(file).stem}", CORPUS / file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def target(file: str, name: str) -> str:
    return f"{CORPUS / file}:{name}"


@pytest.mark.parametrize("file, name, rule, verdict", [
    ("adam_correct.py", "Adam", "adam", "equal"),
    ("adam_torch_order.py", "TorchOrderAdam", "adam", "bitwise"),
    ("rmsprop_numpy.py", "rmsprop_step", "rmsprop", "equal"),
    ("warmup_cosine_correct.py", "WarmupCosine", "warmup-cosine", "equal"),
])
def test_correct_implementations_are_equal(file, name, rule, verdict):
    report = check(load(file, name), rule, steps=STEPS if rule != "warmup-cosine" else None)
    assert report.verdict == verdict, "\n".join(report.lines())
    assert report.first is None and report.diagnosis is None


@pytest.mark.parametrize("file, name, rule, variant, step, first_tensor", [
    ("adam_no_bias_correction.py", "MyAdam", "adam", "no-bias-correction", 1, "param"),
    ("adam_eps_in_sqrt.py", "Adam", "adam", "eps-in-sqrt", 1, "param"),
    ("sgd_lr_in_velocity.py", "SGDMomentum", "sgd", "lr-in-velocity", 1, "momentum_buffer"),
    ("warmup_cosine_off_by_one.py", "lr", "warmup-cosine", "warmup-from-1", 0, "lr"),
    ("adam_slips.py", "eps_hat_step", "adam", "eps-hat", 1, "param"),
    ("adam_slips.py", "betas_swapped_step", "adam", "betas-swapped", 1, "exp_avg"),
    ("adam_slips.py", "sqrt_missing_step", "adam", "sqrt-missing", 1, "param"),
    ("adam_slips.py", "two_slips_step", "adam", "no-bias-correction + eps-in-sqrt", 1, "param"),
    ("adamw_coupled.py", "AdamW", "adamw", "coupled-decay", 1, "param"),
    ("adam_slips.py", "t_ahead_step", "adam", "t-ahead", 1, "param"),
    ("adamw_decay_slips.py", "decay_not_scaled_step", "adamw", "decay-not-scaled", 1, "param"),
    ("adamw_decay_slips.py", "decay_after_update_step", "adamw", "decay-after-update", 1,
     "param"),
    ("adam_slips.py", "t_from_0_step", "adam", "t-from-0", 1, "param"),
    ("step_decay_late.py", "StepDecay", "step", "one-step-late", 30, "lr"),
    ("schedule_epoch_slips.py", "per_epoch", "warmup-cosine", "per-epoch-4", 1, "lr"),
    ("schedule_epoch_slips.py", "per_step", "step", "per-step-5", 6, "lr"),
])
def test_planted_slips_are_named(file, name, rule, variant, step, first_tensor):
    report = check(load(file, name), rule,
                   steps=STEPS if rule not in ("warmup-cosine", "step") else None)
    assert report.verdict == "different"
    assert report.diagnosis["variant"] == variant, "\n".join(report.lines())
    assert report.first["step"] == step
    assert report.first["tensor"].startswith(first_tensor)
    assert report.first["target"] != report.first["spec"]
    assert report.first["gap"] > 0


@pytest.mark.parametrize("name, options, variant", [
    ("dampening_from_zero", {"momentum": 0.9, "dampening": 0.5}, "dampening-on-step-1"),
    ("nesterov_classical", {"momentum": 0.9, "nesterov": True}, "nesterov-lookahead"),
    ("maximize_ignored", {"momentum": 0.9, "maximize": True}, "maximize-ignored"),
])
def test_sgd_slips_in_numpy(name, options, variant):
    report = check(load("sgd_slips.py", name), "sgd", options, steps=STEPS)
    assert report.diagnosis["variant"] == variant, "\n".join(report.lines())
    assert report.first["step"] == 1


def test_g_instead_of_g_squared_is_named_through_its_nan():
    """sqrt of a negative average makes the target NaN at step 1: the variant g-not-squared,
    run on the same gradients, is NaN at exactly the same elements and equal elsewhere."""
    report = check(load("adam_slips.py", "g_not_squared_step"), "adam", steps=STEPS)
    text = "\n".join(report.lines())
    assert report.verdict == "different", text
    assert report.diagnosis["variant"] == "g-not-squared", text
    assert report.first["step"] == 1
    assert "became NaN at step 1" in text


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the target's own sqrt of a negative
def test_a_nan_no_variant_explains_stays_a_fault():
    report = check(load("faulty.py", "nan_step"), "sgd", steps=STEPS)
    assert report.verdict == "fault" and "NaN at step" in "\n".join(report.lines())


def test_warmup_test_k_le_w_is_not_a_slip_for_warmup_cosine():
    """At k = W the warmup line gives eta_max * W / W and the cosine gives eta_max * (1 +
    cos 0) / 2: the same value, so `k <= W` is a correct warmup-cosine and must not be flagged."""
    report = check(load("warmup_cosine_le.py", "lr"), "warmup-cosine")
    assert report.verdict == "equal", "\n".join(report.lines())


def test_a_slip_only_under_a_changing_lr_is_caught():
    """lr folded into the velocity equals torch's SGD at a constant lr: the changing lr of the
    runs is what separates them (the momentum configuration differs, the plain one does not)."""
    report = check(load("sgd_lr_in_velocity.py", "SGDMomentum"), "sgd", steps=STEPS)
    by_config = {json.dumps(r["config"]): r["equal"] for r in report.runs}
    assert by_config['{"momentum": 0.9}'] is False
    assert by_config["{}"] is True


def test_the_sweep_is_restricted_to_what_the_target_takes():
    report = check(load("adam_correct.py", "Adam"), "adam", steps=STEPS)
    assert {"weight_decay": 0.1} in report.skipped and {"amsgrad": True} in report.skipped
    assert "betas->beta1+beta2" in report.mapping
    assert {r["dtype"] for r in report.runs} == {"float32", "float64"}
    assert all(r["mode"] == "one-step" for r in report.runs)  # m and v are exposed


def test_names_that_cannot_be_mapped_are_usage_errors():
    from optsym.spec import SpecError

    with pytest.raises(SpecError, match="--map lr=foo: the spec has no 'foo'"):
        check(load("faulty.py", "raises_step"), "sgd", explicit_map={"lr": "foo"}, steps=3)
    report = check(load("adam_correct.py", "Adam"), "adam", explicit_map={"lr": "lr"}, steps=3)
    assert report.passed


def test_optax_transformations():
    pytest.importorskip("optax", reason="optax is not installed: optax targets are skipped")
    good = check(load("optax_adam.py", "tx"), "adam", steps=STEPS)
    assert good.passed, "\n".join(good.lines())
    eps = check(load("optax_rmsprop.py", "tx"), "rmsprop", {"lr": 0.01, "alpha": 0.9},
                steps=STEPS)
    assert eps.diagnosis["variant"] == "eps-in-sqrt"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the user's own sqrt of a negative
def test_faults_are_verdicts_with_the_step():
    raised = check(load("faulty.py", "raises_step"), "sgd", steps=STEPS)
    assert (raised.verdict, raised.fault["kind"], raised.fault["step"]) == ("fault", "raises", 3)
    assert "faulty.py" in raised.fault["traceback"] and "optsym/check" not in raised.fault[
        "traceback"]
    nan = check(load("faulty.py", "nan_step"), "sgd", steps=STEPS)
    assert (nan.fault["kind"], nan.fault["step"]) == ("nan", 1)
    shape = check(load("faulty.py", "reshapes_step"), "sgd", steps=STEPS)
    assert shape.fault["kind"] == "wrong-shape"


def test_a_hang_is_a_verdict_not_a_hang():
    report = check(target("faulty.py", "hangs_step"), "sgd", steps=5, dtypes=("float64",),
                   timeout=8)
    assert (report.verdict, report.fault["kind"], report.fault["step"]) == ("fault", "hangs", 2)
    assert not report.passed


def test_assert_matches_in_a_users_test_suite():
    assert_matches(load("adam_correct.py", "Adam"), "adam", lr=0.01, steps=STEPS)
    with pytest.raises(AssertionError, match="no-bias-correction"):
        assert_matches(load("adam_no_bias_correction.py", "MyAdam"), "adam", steps=STEPS)
    with pytest.raises(AssertionError, match="EQUAL within"):  # not bitwise
        assert_matches(load("adam_correct.py", "Adam"), "adam", steps=STEPS, bitwise=True)


def test_cli_exit_codes_and_json(run_cli):
    ok = run_cli("check", target("rmsprop_numpy.py", "rmsprop_step"), "--rule", "rmsprop",
                 "--lr", "0.01", "--steps", "20")
    assert ok.exit_code == 0, ok.output
    assert "verdict: EQUAL within the rounding bound" in ok.output
    bad = run_cli("check", target("adam_eps_in_sqrt.py", "Adam"), "--rule", "adam", "--steps",
                  "20", "--dtype", "float64", "--json")
    assert bad.exit_code == 1
    data = json.loads(bad.stdout)
    assert data["verdict"] == "different" and data["diagnosis"]["variant"] == "eps-in-sqrt"
    assert data["first_difference"]["step"] == 1


@pytest.mark.parametrize("args, message", [
    (("nofile.py:X",), "no such file"),
    ((str(CORPUS / "adam_correct.py"),), "must be path/to/file.py:NAME"),
    ((target("adam_correct.py", "Nope"),), "has no 'Nope'"),
    ((target("adam_correct.py", "Adam"), "--lr", "-1"), "Invalid learning rate"),
    ((target("warmup_cosine_correct.py", "WarmupCosine"),), "is an optimizer rule"),
])
def test_bad_targets_are_one_line_usage_errors(run_cli, args, message):
    result = run_cli("check", *args, "--rule", "adam", "--steps", "5")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("optsym: error: ") and message in lines[0]
    assert "Traceback" not in result.output
