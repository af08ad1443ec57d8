"""Transforms over the whole list of gradients, chained before a rule (as optax chains its
gradient transformations): one file per transform, each a :class:`Transform` spec.

``REGISTRY`` holds the built-ins by name; a transform of your own is a module-level
:class:`Transform` in one file (see :mod:`optsym.transforms.base` for an example).
"""

from __future__ import annotations

from optsym.registry import Registry
from optsym.transforms.base import Condition, Transform, chain, param

TRANSFORM_MODULES = {
    "clip-norm": ("optsym.transforms.clip_norm", "TRANSFORM"),
    "clip-value": ("optsym.transforms.clip_value", "TRANSFORM"),
    "decay-coupled": ("optsym.transforms.decay_coupled", "TRANSFORM"),
    "decay-decoupled": ("optsym.transforms.decay_decoupled", "TRANSFORM"),
}

REGISTRY = Registry("transform", TRANSFORM_MODULES)


def names() -> list[str]:
    return REGISTRY.names()


def get(name: str) -> Transform:
    """The transform called ``name``; an unknown name raises SpecError with suggestions."""
    return REGISTRY.get(name)


__all__ = ["Condition", "REGISTRY", "Transform", "chain", "get", "names", "param"]
