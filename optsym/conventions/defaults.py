r"""Each library's own defaults for a family's hyperparameters: ``optsym compare --defaults``.

A user who ports ``torch.optim.RMSprop(lr)`` to ``optax.rmsprop(lr)`` changes two things at
once: the convention (eps inside the root) and the defaults (:math:`\alpha = 0.99` becomes
``decay = 0.9``).  ``compare`` holds the hyperparameters equal to isolate the first; with
``--defaults`` each side takes the values its library gives when only the learning rate is
passed, read from the same tables ``optsym port`` uses (:mod:`optsym.port`), and translated into
the rule's own parameter names through the library's canonical parameters (``decay`` is torch's
``alpha``, ``b1`` is ``beta1``, ...).
"""

from __future__ import annotations

from typing import Any

from optsym.conventions.spec import Family
from optsym.spec import SpecError

LIBRARIES = ("torch", "optax", "keras")


def _torch_dialect(family: Family):
    from optsym.port import torch_side

    name = f"torch.optim.{family.rule}".lower()
    return next(d for d in torch_side.DIALECTS if d.name.lower() == name)


def library_values(family: Family, library: str) -> dict[str, Any]:
    """The hyperparameters ``library`` uses by default, by the rule's names (lr left out)."""
    from optsym import port

    if library not in LIBRARIES:
        raise SpecError(f"--defaults compares libraries: {library} is not one of "
                        f"{', '.join(LIBRARIES)} (a convention named after a source has no "
                        "defaults)")
    torch_d = _torch_dialect(family)
    side = torch_d if library == "torch" else port.counterpart(torch_d, library)
    given = {**side.defaults(), side.args[0].name: 1.0}
    args, _ = torch_d.express(side.form(given))
    return {k: v for k, v in args.items() if k != "lr" and v is not None}


def side_values(family: Family, library: str, given: dict[str, Any]) -> dict[str, str]:
    """Values for one side: the user's, the family's own options, else the library's defaults."""
    keep = set(given) | set(family.config) | set(family.fixed)
    return {k: repr(float(v)) for k, v in library_values(family, library).items()
            if k not in keep and not isinstance(v, bool)}
