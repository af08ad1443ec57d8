r"""The rules of composing a rule with a learning-rate schedule and gradient clipping, written once.

* **The schedule's peak is the rule's lr.**  A schedule multiplies (or replaces) the optimizer's
  learning rate; torch's schedulers start from the optimizer's ``lr``, so the schedule's
  :math:`\eta_{\max}` *is* the rule's ``lr``.  A different ``eta_max`` is refused, not guessed.
* **The horizon.**  A schedule whose value past its horizon :math:`H` is undefined (torch's
  ``OneCycleLR`` raises there) cannot run more than :math:`H` steps.
* **One clipping at a time**, by global norm or by value, with a threshold torch accepts.

Every command that composes (``verify``, ``compare``) calls these; bad input raises
:class:`~optsym.spec.SpecError` (one line for the user).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from optsym.spec import SpecError


def check_horizon(schedule, cfg: Mapping[str, Any], steps: int, where: str,
                  hint: str = "") -> None:
    """Refuse ``steps`` past the horizon of a schedule that is undefined beyond it."""
    tail = schedule.tail(cfg)
    if tail.kind == "undefined" and steps > schedule.horizon(cfg):
        raise SpecError(f"{where}: {tail.note} ({schedule.horizon(cfg)}){hint}")


def schedule_for_rule(schedule, given: Mapping[str, Any], lr: Any, steps: int,
                      refuse_peak: bool = False) -> tuple[Any, dict[str, Any]]:
    """``(schedule, cfg)`` composed with a rule whose learning rate is ``lr``.

    ``given``: the schedule's parameters as the user set them; ``eta_max`` may only repeat the
    rule's lr (or, with ``refuse_peak``, not be given at all).  Past an undefined tail the
    ``steps`` are refused.
    """
    if "eta_max" in given:
        if refuse_peak:
            raise SpecError("the schedule's peak is the rule's lr: give --lr, not "
                            "--schedule-opt eta_max")
        if given["eta_max"] != lr:
            raise SpecError(f"--schedule-opt eta_max={given['eta_max']:g} disagrees with the "
                            f"rule's --lr {lr:g}: the schedule's peak is the optimizer's lr; "
                            "set --lr")
    cfg = schedule.config({**given, "eta_max": lr})
    check_horizon(schedule, cfg, steps, f"--steps {steps} with --schedule {schedule.name}",
                  "; use fewer --steps")
    return schedule, cfg


def clip_for(clip_norm: float | None, clip_value: float | None) -> tuple[str, float] | None:
    """``("norm" | "value", threshold)`` or None; both at once is refused."""
    if clip_norm is not None and clip_value is not None:
        raise SpecError("give one of --clip-norm and --clip-value")
    if clip_norm is None and clip_value is None:
        return None
    from optsym.clipping import check_threshold

    kind, threshold = ("norm", clip_norm) if clip_norm is not None else ("value", clip_value)
    return kind, check_threshold(kind, threshold)


def schedule_reference(schedule, cfg: Mapping[str, Any]) -> str:
    """The torch scheduler a composed run uses, by its full name."""
    return "torch.optim.lr_scheduler." + schedule.reference(cfg)


CLIP_REFERENCE = {"norm": "torch.nn.utils.clip_grad_norm_",
                  "value": "torch.nn.utils.clip_grad_value_"}
