r"""Gradient clipping by global norm and by value, by its short name (``norm``, ``value``).

The two clippings are transforms of the one engine, each written once in its own file:
:mod:`optsym.transforms.clip_norm` (``torch.nn.utils.clip_grad_norm_``) and
:mod:`optsym.transforms.clip_value` (``torch.nn.utils.clip_grad_value_``):

.. math::

    \begin{align*}
    \text{by global norm:}\quad
        N &= \sqrt{\textstyle\sum_{i} \sum_{j} g_{i,j}^2}, \qquad
        s = \min\!\Big(1, \frac{c}{N + \epsilon}\Big), \qquad
        g_{i,j} \leftarrow s\, g_{i,j} \\
    \text{by value:}\quad
        g_{i,j} &\leftarrow \operatorname{clamp}(g_{i,j}, -c, c)
    \end{align*}

This module maps the kind that ``optsym clip KIND`` and ``optsym verify --clip-norm`` /
``--clip-value`` name onto those transforms, and the threshold onto the transform's parameter
(``max_norm`` or ``clip_value``).  The proof is :func:`optsym.transforms.prove.prove`, the
generated module :func:`optsym.transforms.codegen.generate` (its function is called ``clip``
here), the check against torch :func:`optsym.transforms.verify.verify`, and the properties of
norm clipping :mod:`optsym.transforms.clip_properties`.

>>> describe("value")["text"]  # doctest: +ELLIPSIS
'g[i][j] <- Piecewise((-clip_value, g[i][j] < -clip_value), (clip_value, g[i][j] > ...'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from optsym.errors import unknown_name_message
from optsym.proof import Obligation
from optsym.spec import Assign, SpecError
from optsym.transforms import Transform, get
from optsym.transforms._clip import EPS
from optsym.transforms.clip_norm import eps
from optsym.transforms.codegen import TARGETS

CLIP_KINDS = ("norm", "value")
#: the transform of each kind, and the name of its threshold parameter
TRANSFORMS = {"norm": ("clip-norm", "max_norm"), "value": ("clip-value", "clip_value")}
#: the generated function's name
FUNCTION = "clip"


def transform(kind: str) -> Transform:
    """The transform of ``kind`` (``norm`` or ``value``); an unknown kind raises SpecError."""
    if kind not in CLIP_KINDS:
        raise SpecError(unknown_name_message("clipping kind", kind, list(CLIP_KINDS)))
    return get(TRANSFORMS[kind][0])


def threshold_name(kind: str) -> str:
    """``max_norm`` or ``clip_value``: torch's argument name of the threshold."""
    transform(kind)
    return TRANSFORMS[kind][1]


def config(kind: str, threshold: Any) -> dict[str, Any]:
    """The transform's configuration with ``threshold``; a value outside the domain (or not a
    number) raises SpecError with the transform's message."""
    name = threshold_name(kind)
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        raise SpecError(transform(kind).param(name).error.format(value=repr(threshold))) \
            from None
    return transform(kind).config({name: value})


def check_threshold(kind: str, threshold: Any) -> float:
    """``threshold`` as a float, or SpecError when the transform does not accept it."""
    return config(kind, threshold)[threshold_name(kind)]


def textbook(kind: str) -> tuple[Assign, ...]:
    t = transform(kind)
    return t.textbook(t.config())


def implementation(kind: str) -> tuple[Assign, ...]:
    t = transform(kind)
    return t.implementation(t.config())


def describe(kind: str) -> dict:
    """The textbook rule in words and LaTeX, the threshold, its domain and torch's function."""
    t, name = transform(kind), threshold_name(kind)
    spec = t.describe()
    (param,) = [p for p in spec["params"] if p["name"] == name]
    return {"kind": kind, "title": t.title, "threshold": name,
            "threshold_latex": param["latex"], "domain": param["domain"],
            "text": spec["text"], "latex": spec["latex"], "torch": t.reference,
            "note": t.note}


def prove_clip(kind: str, points: int = 4, seed: int = 0,
               form: Sequence[Assign] | None = None) -> list[Obligation]:
    """Output by output, torch's form == the textbook form (``form``: another implementation
    form, to show that a wrong one fails)."""
    from optsym.transforms.prove import prove

    return prove(transform(kind), None, points, seed, form)


def derivations(trials: int = 100, seed: int = 0) -> list:
    """The three properties of norm clipping (:mod:`optsym.transforms.clip_properties`)."""
    from optsym.transforms.clip_properties import derivations as properties

    return properties(trials, seed)


def print_module(kind: str, target: str, equations: Sequence[Assign]) -> str:
    """Source of a module whose ``clip`` runs ``equations`` (a form of ``kind``)."""
    from optsym.transforms.codegen import print_module as write

    return write(transform(kind), target, equations, None, FUNCTION)


def generate_clip(kind: str, target: str) -> str:
    """Source of a module defining ``clip(grads, *, max_norm)`` (returns the total norm) or
    ``clip(grads, *, clip_value)``; ``torch-parity`` is torch's operation order."""
    from optsym.transforms.codegen import generate

    return generate(transform(kind), target, None, FUNCTION)


def verify_source(kind: str, source: str, target: str, threshold: float,
                  dtype: str = "float32", seed: int = 0, steps: int = 50) -> dict:
    """The ``clip`` of ``source`` against torch on the verify stream; one record."""
    from optsym.transforms.verify import verify_source as check

    return check(transform(kind), source, target, config(kind, threshold), dtype, seed, steps,
                 FUNCTION)


def verify_clip(kind: str, threshold: float, dtypes: Sequence[str] = ("float32", "float64"),
                seed: int = 0, steps: int = 50, targets: Sequence[str] = TARGETS) -> dict:
    """Generated code of every target against ``torch.nn.utils`` (see
    :func:`optsym.transforms.verify.verify`), with the ``kind`` and ``threshold`` added.

    Prefer a threshold that is not a power of two: with ``max_norm = 1.0`` the product in torch's
    ``reciprocal(N + eps) * max_norm`` is exact, and a true division would pass parity too."""
    from optsym.transforms.verify import verify

    cfg = config(kind, threshold)
    report = verify(transform(kind), cfg, dtypes, seed, steps, targets)
    return {"kind": kind, "threshold": cfg[threshold_name(kind)], **report}


def report(kind: str, threshold: float, steps: int = 50, seed: int = 0) -> dict:
    """What ``optsym clip KIND`` shows: the spec, the proofs, the properties (norm) and the
    verification; ``passed`` when all hold."""
    proofs = prove_clip(kind)
    props = derivations() if kind == "norm" else []
    check = verify_clip(kind, threshold, seed=seed, steps=steps)
    return {"spec": describe(kind), "proofs": proofs, "derivations": props,
            "verification": check,
            "passed": check["passed"] and all(p.holds for p in proofs)
            and all(d.holds for d in props)}


__all__ = ["CLIP_KINDS", "EPS", "FUNCTION", "TARGETS", "TRANSFORMS", "check_threshold",
           "config", "derivations", "describe", "eps", "generate_clip", "implementation",
           "print_module", "prove_clip", "report", "textbook", "threshold_name", "transform",
           "verify_clip", "verify_source"]
