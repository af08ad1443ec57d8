r"""Worked examples: any rule's textbook equations run step by step in exact arithmetic.

.. math::

    \begin{align*}
    g_t = \nabla f(x_{t-1}), \quad \text{each state update}, \quad x_t, \quad f(x_t)
    \end{align*}

``worked_example("gd", parse_objective("(x - 3)**2"), [0], {"lr": "0.1"}, 2)`` gives
:math:`x_1 = 3/5`, :math:`x_2 = 27/25`, checked against optsym's generated float64 code.
See :mod:`optsym.examples.worked` (the engine), :mod:`optsym.examples.render` (text, LaTeX,
JSON) and :mod:`optsym.examples.aliases` (``gd``, ``momentum``, ``nesterov``).
"""

from __future__ import annotations

from optsym.examples.aliases import ALIASES, resolve
from optsym.examples.worked import MAX_STEPS, WorkedExample, worked_example


def method_names() -> list[str]:
    """Every name ``worked_example`` accepts: the aliases, then the registered rules."""
    from optsym import rules

    return [*ALIASES, *rules.names()]


__all__ = ["worked_example", "WorkedExample", "ALIASES", "resolve", "method_names", "MAX_STEPS"]
