r"""``optsym verify SCHEDULE``: generated learning rates against ``torch.optim.lr_scheduler``.

Two generated forms are run for :math:`n` optimizer steps and compared with the learning rate
torch's scheduler gives each step (:mod:`optsym.verify.schedule_reference`):

* **torch-parity** (torch's own computation, recursion included) must be **bitwise** equal at
  every step;
* **closed** (the closed form) is where torch's recursion and the formula part in floating
  point.  Every step where they differ is reported, with the ULP distance and the error.  It
  passes when every step is within

  .. math::

      |\eta^{\text{closed}}_k - \eta^{\text{torch}}_k| \le
      \bigl(R_{\text{torch}}\, m_k + R_{\text{closed}}\bigr)\, u\, A

  where :math:`u = 2^{-53}`, :math:`A = \max_j |\eta_j|` over the run, :math:`R` counts the
  floating-point operations of each computation (a cosine counts 2: its argument and its value
  are each rounded), and :math:`m_k = k + 1` when torch recurses (each step's rounding is carried
  into the next: errors add up linearly to first order) or 1 when torch evaluates a closed form.
  Each operation commits a relative error of at most :math:`u` on an intermediate no larger than
  :math:`A` in magnitude (the schedules' intermediates are lr-sized or factors of order 1), which
  gives the bound to first order.  A wrong formula or an off-by-one moves a step by far more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from optsym.pyops import PyCos, PyFloat, PyOp, PyPi
from optsym.schedules.codegen import load_lrs
from optsym.report import RunCheck
from optsym.schedules.spec import Config, Schedule
from optsym.verify import metrics

U64 = 2.0**-53
#: most divergent steps listed per check (the counts cover all of them)
LISTED = 50


@dataclass(kw_only=True)
class ScheduleCheck(RunCheck):
    """One form of a schedule's generated lr function against its reference scheduler."""

    form: str
    #: steps where the two differ in any bit, the first of them, and up to LISTED of them
    parted: int
    first_parted: int | None = None
    divergences: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ScheduleReport:
    schedule: str
    config: dict[str, Any]
    reference: str
    checks: list[ScheduleCheck] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {"schedule": self.schedule, "config": self.config, "reference": self.reference,
                "passed": self.passed, "checks": [c.as_dict() for c in self.checks]}


def roundings(expr: sp.Basic) -> int:
    """Floating-point operations in ``expr`` (R above): each operation node once, a cosine
    twice; exact nodes (float literals, pi's double) none."""
    if not isinstance(expr, sp.Basic) or expr.is_Atom or isinstance(expr, (PyFloat, PyPi)):
        return 0
    own = 0
    if isinstance(expr, (PyOp, sp.cos)):
        own = 2 if isinstance(expr, (PyCos, sp.cos)) else 1
    elif isinstance(expr, (sp.Add, sp.Mul)):
        own = len(expr.args) - 1
    elif isinstance(expr, (sp.Pow, sp.floor, sp.Mod)):
        own = 2
    return own + sum(roundings(a) for a in expr.args)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def verify_schedule(schedule: Schedule, cfg: Config, steps: int | None = None) -> ScheduleReport:
    """Both generated forms against torch's scheduler over ``steps`` learning rates."""
    from optsym.verify.schedule_reference import torch_lrs

    n = steps or default_steps(schedule, cfg)
    ref = np.array(torch_lrs(schedule.name, cfg, n), dtype=np.float64)
    report = ScheduleReport(schedule.name, {k: _plain(v) for k, v in cfg.items()},
                            "torch.optim.lr_scheduler." + schedule.reference(cfg))
    parity = np.array(load_lrs(schedule, cfg, "torch-parity")(n), dtype=np.float64)
    report.checks.append(_compare("torch-parity", parity, ref, None,
                                  "bitwise (0 ULP, same bits) at every step"))
    tf = schedule.torch(cfg)
    # the costliest case of torch's get_lr (its conditions select, they do not round the value)
    r_torch = max(roundings(b.expr) for b in tf.branches) + max(
        [roundings(tf.initial)] + [roundings(a.expr) for a in tf.state_step])
    r_closed = roundings(schedule.closed_form(cfg))
    growth = np.ones(n) if tf.closed else np.arange(1, n + 1, dtype=np.float64)
    scale = float(np.max(np.abs(ref), initial=0.0))
    tol = (r_torch * growth + r_closed) * U64 * scale
    how = "torch evaluates a closed form" if tf.closed else "torch recurses: m_k = k + 1"
    closed = np.array(load_lrs(schedule, cfg, "closed")(n), dtype=np.float64)
    report.checks.append(_compare(
        "closed", closed, ref, tol,
        f"|closed - torch| <= (R_torch*m_k + R_closed)*u*A with R_torch = {r_torch}, "
        f"R_closed = {r_closed}, u = 2^-53, A = {scale:.6g} ({how})"))
    return report


def default_steps(schedule: Schedule, cfg: Config) -> int:
    """The horizon, plus a tenth beyond it (the behaviour after the schedule's end), capped by
    torch's own limit (one-cycle stops at total_steps)."""
    h = schedule.horizon(cfg)
    if schedule.tail(cfg).kind == "undefined":
        return h
    return h + max(h // 10, 5)


def _compare(form: str, ours: np.ndarray, ref: np.ndarray, tol: np.ndarray | None,
             criterion: str) -> ScheduleCheck:
    ulp = metrics.ulp_distance(ours, ref)
    err = metrics.abs_error(ours, ref)
    differs = ~metrics.same_bits(ours, ref)
    if tol is None:
        bad = differs
        ratio = None
    else:
        bad = differs & ~(np.isfinite(err) & (err <= tol))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = float(np.max(np.where(differs, err / tol, 0.0), initial=0.0))
    idx = np.flatnonzero(differs)
    listed = [{"k": int(i), "torch": float(ref[i]), "ours": float(ours[i]),
               "ulp": int(min(ulp[i], metrics.FAR)), "abs": float(err[i])} for i in idx[:LISTED]]
    failure = None
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        limit = "" if tol is None else f", tolerance {tol[i]:.3g}"
        failure = (f"k = {i}: ours {ours[i]!r} vs torch {ref[i]!r} "
                   f"({int(min(ulp[i], metrics.FAR))} ULP{limit})")
    return ScheduleCheck(
        form=form, steps=len(ref), **metrics.summary(ours, ref), parted=int(differs.sum()),
        passed=not bad.any(), criterion=criterion, worst_ratio=ratio,
        first_parted=int(idx[0]) if len(idx) else None, failure=failure, divergences=listed)


__all__ = ["verify_schedule", "ScheduleReport", "ScheduleCheck", "roundings", "default_steps"]
