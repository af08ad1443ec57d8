r"""A learning-rate schedule composed with a rule in the curves: each rule's lr is the peak.

.. math::

    \eta_t = s_{t-1}(\eta_{\max} = \eta_{\text{rule}}), \qquad t = 1, \dots, T

the schedule's generated closed form (:func:`optsym.schedules.codegen.load_lrs`) with its peak
``eta_max`` set to the rule's own lr, indexed as torch's loop indexes it (``scheduler.step()``
after every ``optimizer.step()``: the first step uses :math:`s_0`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from optsym.spec import SpecError


def schedule_lrs(schedule, given: Mapping[str, Any], steps: int) -> Callable[[float], list]:
    """``base_lr -> [eta_1, ..., eta_steps]`` for ``schedule`` with the options ``given``."""
    from optsym.schedules.codegen import load_lrs

    if "eta_max" in given:
        raise SpecError("the schedule's peak is each rule's lr: give --lr, not eta_max")

    def lrs(base_lr: float) -> list:
        cfg = schedule.config({**given, "eta_max": float(base_lr)})
        tail = schedule.tail(cfg)
        if tail.kind == "undefined" and steps > schedule.horizon(cfg):
            raise SpecError(f"{steps} steps with the schedule {schedule.name}: {tail.note} "
                            f"({schedule.horizon(cfg)}); use fewer steps")
        return [float(v) for v in load_lrs(schedule, cfg, "closed")(steps)]

    return lrs


__all__ = ["schedule_lrs"]
