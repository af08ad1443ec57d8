r"""A worked example's checks, against something independent of its textbook form: optsym's
generated ``torch-parity`` code run in float64 on the same numbers, freely and one step at a
time from each exact iterate, within :data:`RELATIVE_TOLERANCE` of the distance moved plus
float64's rounding; and the objective's decrease, reported honestly when it does not decrease.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy as sp

from optsym.examples.exact import representable
from optsym.examples.record import Check, WorkedExample
from optsym.spec import Rule

#: the generated float64 run must agree with the exact iterates within this tolerance relative
#: to how far the iterate moved from its start (accumulated rounding is ~1e-15 relative; a wrong
#: formula moves the iterates by far more), plus the float64 rounding of the iterate itself.
#: Relative to the distance moved, not to max(1, |x|): with lr = 0.001 a step moves x by 1e-3,
#: and Adam with eps inside the square root differs from Adam by 2e-11 there, which a
#: tolerance relative to max(1, |x|) would let through.
RELATIVE_TOLERANCE = 1e-9
#: float64 rounding allowed per step, relative to the size of the iterate (half an ulp per
#: rounding, a few roundings per step, and the inputs' rounding to float64)
ROUNDING_PER_STEP = 8 * float(np.finfo(np.float64).eps)
#: ... or this one where torch keeps scalar state in float32 (ASGD's eta and mu, NAdam's
#: mu_product): one float32 rounding is 6e-8 relative, and it accumulates over the steps
FLOAT32_SCALAR_TOLERANCE = 32 * float(np.finfo(np.float32).eps)


def check_example(example: WorkedExample) -> None:
    """The generated float64 code on the same numbers, the float64 rounding of the inputs, and
    the objective's decrease."""
    from optsym.trajectory import run_generated

    rule, steps = example.rule, example.steps
    cfg_floats = {k: v for k, v in example.config.items()}
    try:
        generated = run_generated(rule.name, cfg_floats, example.objective,
                                  [float(v) for v in example.x0], steps, "torch-parity",
                                  "float64", example.constant_grad, example.grad_seq)
    except (RuntimeError, ValueError, OverflowError) as exc:
        example.checks.append(Check("generated torch-parity code runs in float64", False,
                                    detail=str(exc).splitlines()[0]))
        return
    example.generated = generated
    tolerance, why = tolerance_for(rule, example.config)
    ours = np.array([[float(sp.N(v, 30)) for v in x] for x in example.iterates])
    free_ok, worst, first_bad, diff = compare_iterates(ours, np.array(generated), tolerance,
                                               starts=np.broadcast_to(ours[:1], ours.shape),
                                               rounds=np.arange(1, len(ours) + 1))
    detail = (f"max |exact - float64| = {float(np.nanmax(diff)):.2g} over {steps} step"
              f"{'s' if steps != 1 else ''} (allowed: {tolerance:.2g} |x_t - x_0| plus float64 "
              f"rounding{why}; {worst:.2g} of that used)")
    if free_ok:
        example.checks.append(Check(
            "generated torch-parity code (float64) reproduces the exact iterates", True,
            detail=detail))
    else:
        # one step at a time from each exact iterate and state: the step's own arithmetic,
        # without the amplification of a free run (or a rounding that crosses a kink)
        from optsym.trajectory import one_step_generated

        starts = [(example.iterates[k - 1], example.state_history[k - 1],
                   example.records[k - 1].grad) for k in range(1, steps + 1)]
        try:
            single = one_step_generated(rule.name, example.config, starts)
            step_ok, step_worst, step_bad, _ = compare_iterates(ours[1:], np.array(single), tolerance,
                                                        first_step=1, starts=ours[:-1],
                                                        rounds=np.full(len(ours) - 1, 2))
        except (RuntimeError, ValueError, OverflowError, KeyError) as exc:
            step_ok, step_worst, step_bad = False, float("nan"), f"; {str(exc).splitlines()[0]}"
        if step_ok:
            example.checks.append(Check(
                "generated torch-parity code (float64) reproduces each exact step", True,
                detail=f"one step at a time from each exact iterate, within {tolerance:.2g} "
                f"|x_t - x_(t-1)| plus float64 rounding{why} ({step_worst:.2g} of that used). "
                f"The free float64 run parts from the exact one ({worst:.2g} times its "
                f"allowance{first_bad}): "
                "rounding, amplified along the trajectory or crossing a kink of f or of the "
                "rule"))
        else:
            example.checks.append(Check(
                "generated torch-parity code (float64) reproduces the exact iterates", False,
                detail=f"{detail}{first_bad}; one step at a time: {step_worst:.2g} times the "
                f"allowance{step_bad}"))
    inexact = [name for name, v in example.hypers.items() if not representable(v)]
    inexact += [f"x0[{i + 1}]" for i, v in enumerate(example.x0) if not representable(v)]
    inexact += [label for label, v in example.given_values if not representable(v)]
    if inexact:
        largest = float(np.nanmax(diff))
        effect = (f"the float64 run differs from the exact one by up to {largest:.2g}"
                  if largest else "the float64 run still lands on the doubles nearest the "
                  "exact iterates")
        example.notes.append("inputs taken as exact decimals; not exactly representable in "
                             f"float64: {', '.join(inexact)} ({effect})")
    if example.exact_steps < steps:
        example.notes.append(f"exact arithmetic through step {example.exact_steps}; later "
                             "values grew past 60 digits (or nested surds) and continue with "
                             "50-digit floats")
    if example.values:
        check_decrease(example)


def compare_iterates(ours: np.ndarray, theirs: np.ndarray, tolerance: float, first_step: int = 0,
             starts: np.ndarray | None = None, rounds: np.ndarray | None = None
             ) -> tuple[bool, float, str, np.ndarray]:
    """(every ``|ours - theirs|`` within its allowance, the largest fraction of an allowance
    used, where the first bad one is, the absolute differences); row k is step
    ``first_step + k``.  Row k's allowance is ``tolerance`` times how far the exact iterate
    moved from ``starts[k]`` (x_0 for a free run, x_{k-1} for one step), plus
    ``ROUNDING_PER_STEP * rounds[k]`` times the iterate's size (float64 cannot hold more)."""
    starts = ours if starts is None else starts
    rounds = np.ones(len(ours)) if rounds is None else np.asarray(rounds, dtype=np.float64)
    with np.errstate(all="ignore"):
        diff = np.abs(ours - theirs)
        size = np.maximum(np.abs(ours), np.abs(starts))
        allowed = (tolerance * np.abs(ours - starts)
                   + ROUNDING_PER_STEP * rounds[:, None] * np.maximum(size, np.finfo(float).tiny))
        ratio = diff / allowed
    worst = float(np.nanmax(ratio)) if ratio.size else 0.0
    bad = np.argwhere(~(ratio <= 1))
    if not bad.size:
        return True, worst, "", diff
    k, i = (int(v) for v in bad[0])
    return False, worst, (f"; first at step {first_step + k}, coordinate {i + 1}: exact "
                          f"{float(ours[k, i])!r} vs generated {float(theirs[k, i])!r}"), diff


def tolerance_for(rule: Rule, cfg: Mapping[str, Any]) -> tuple[float, str]:
    """The relative tolerance of the comparison with the generated code, and why."""
    from optsym.codegen.module import generate

    if "float32" in generate(rule, cfg, "torch-parity"):
        return FLOAT32_SCALAR_TOLERANCE, ": torch keeps scalar state in float32"
    return RELATIVE_TOLERANCE, ""


def check_decrease(example: WorkedExample) -> None:
    if len(example.values) <= example.steps:  # f overflowed at the diverged last iterate
        example.checks.append(Check(
            "the objective decreases", False,
            detail=f"f overflows float64 at x_{example.steps} (the method diverges)",
            kind="observation"))
        return
    values = [sp.N(v, 30) for v in example.values]
    rises = [k for k in range(1, len(values)) if values[k] > values[k - 1]]
    overall = values[-1] < values[0]
    flat = [k for k in range(1, len(values)) if values[k] == values[k - 1]]
    if not rises and not flat:
        detail = "f decreased at every step"
    elif not rises:
        detail = (f"f never increased; it stayed the same at step{'s' if len(flat) > 1 else ''} "
                  f"{', '.join(map(str, flat[:8]))}")
    else:
        detail = (f"f increased at step{'s' if len(rises) > 1 else ''} "
                  f"{', '.join(map(str, rises[:8]))}"
                  + (" (is the learning rate too large?)" if not overall else ""))
    example.checks.append(Check("the objective decreases", overall and not rises, detail=detail,
                                kind="observation"))


__all__ = ["RELATIVE_TOLERANCE", "check_decrease", "check_example", "compare_iterates"]
