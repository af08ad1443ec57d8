r"""Run the user's target in a child process with a time limit (:mod:`optsym.check.child`).

The target is the user's own code: running it is the point, but whatever it does (raise, hang,
exit, print, crash the interpreter) must end as a one-line verdict with the step where it
happened, never as an optsym traceback or a hung terminal.  The child appends ``run step`` to a
progress file before every step, so a time-out names the step that did not finish.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from typing import Any

DEFAULT_TIMEOUT = 60.0


def _last_progress(path: str) -> tuple[int, int] | None:
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().split()
    except OSError:
        return None
    if len(lines) < 2:
        return None
    return int(lines[-2]), int(lines[-1])


def _where(progress: tuple[int, int] | None) -> tuple[int | None, int]:
    return (None, 0) if progress is None else progress


def _fault(kind: str, run: int | None, step: int, message: str, tb: str = "") -> dict[str, Any]:
    return {"sandbox_fault": {"kind": kind, "run": run, "step": step, "message": message,
                              "traceback": tb}}


def run_child(request: dict[str, Any], timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """The child's result dict; a hang or an abnormal exit as ``{"sandbox_fault": ...}``."""
    with tempfile.TemporaryDirectory(prefix="optsym-check-") as tmp:
        req, res, prog = (os.path.join(tmp, n) for n in ("request.pkl", "result.pkl", "progress"))
        with open(req, "wb") as fh:
            pickle.dump(request, fh)
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        try:
            proc = subprocess.run([sys.executable, "-m", "optsym.check.child", req, res, prog],
                                  capture_output=True, text=True, timeout=timeout, env=env,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            run, step = _where(_last_progress(prog))
            return _fault("hangs", run, step, f"did not finish within {timeout:g} s (step "
                          f"{step} never returned)" if step else
                          f"did not finish loading within {timeout:g} s")
        if os.path.exists(res):
            with open(res, "rb") as fh:
                return pickle.load(fh)
        run, step = _where(_last_progress(prog))
        tail = (proc.stderr or "").strip().splitlines()[-12:]
        return _fault("exits", run, step, f"the target's process ended with status "
                      f"{proc.returncode} before it finished", "\n".join(tail))
