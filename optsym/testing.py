r"""``optsym check`` inside the user's own test suite, in the manner of ``torch.testing``.

>>> from optsym.testing import assert_matches
>>> assert_matches(MyAdam, "adam", lr=1e-3)       # doctest: +SKIP
AssertionError: MyAdam differs from adam ... diagnosis: no-bias-correction: ...

``target`` is an object (a class, a functional step, an optax transformation, a scheduler class
or an ``lr(k)`` function), run in this process, or a ``file.py:NAME`` / ``module:NAME`` string,
run in a child process with a time limit.  Keyword options are the spec's hyperparameters
(one configuration); without them the spec's sweep runs.  The assertion message is the report
``optsym check`` prints: the verdict, the first difference and the named variant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from optsym.check import CheckReport, check


def assert_matches(target: Any, spec: str, *, steps: int | None = None,
                   dtypes: Sequence[str] | None = None, seed: int = 0,
                   map: Mapping[str, str] | None = None, timeout: float = 60.0,
                   bitwise: bool = False, **options: Any) -> CheckReport:
    """Raise :class:`AssertionError` unless ``target`` equals the spec (within the rounding
    bound; ``bitwise=True``: the same bits as torch's order); return the report otherwise."""
    report = check(target, spec, options or None, steps=steps, dtypes=dtypes, seed=seed,
                   timeout=timeout, explicit_map=map)
    ok = report.verdict == "bitwise" if bitwise else report.passed
    if not ok:
        name = report.target
        raise AssertionError(f"{name} does not match {spec}:\n" + "\n".join(report.lines()))
    return report


__all__ = ["assert_matches"]
