"""Course derivations built on the optsym library, one topic per module.

Installed as ``optsym.derivations``.  Each module defines ``DERIVATION``
(:class:`optsym.derivation.Derivation`); ``optsym derive --list`` shows them.
"""

from __future__ import annotations

from optsym.derivation import Derivation
from optsym.registry import Registry

DERIVATION_MODULES: dict[str, tuple[str, str]] = {
    "gd-quadratic": ("optsym.derivations.gd_quadratic", "DERIVATION"),
    "condition-number": ("optsym.derivations.condition_number", "DERIVATION"),
    "heavy-ball": ("optsym.derivations.heavy_ball", "DERIVATION"),
    "nesterov": ("optsym.derivations.nesterov", "DERIVATION"),
    "smooth-convex-gd": ("optsym.derivations.smooth_convex_gd", "DERIVATION"),
    "sgd-noise": ("optsym.derivations.sgd_noise", "DERIVATION"),
    "ema": ("optsym.derivations.ema", "DERIVATION"),
    "adam-constant-gradient": ("optsym.derivations.adam_constant", "DERIVATION"),
    "adagrad-constant-gradient": ("optsym.derivations.adagrad_constant", "DERIVATION"),
    "saddle-points": ("optsym.derivations.saddle_points", "DERIVATION"),
}

REGISTRY = Registry("derivation", DERIVATION_MODULES)


def names() -> list[str]:
    return REGISTRY.names()


def get(name: str) -> Derivation:
    """The derivation called ``name``; an unknown name raises ``SpecError`` with suggestions."""
    return REGISTRY.get(name)


def all_derivations() -> list[Derivation]:
    return REGISTRY.all()
