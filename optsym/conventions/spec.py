r"""The shape of a convention: one rule family's update as a given source writes it.

A :class:`Convention` is a spec like a rule's textbook form: an ordered list of
:class:`~optsym.spec.Assign` built from the symbols of the rule modules (the ``torch`` convention
*is* the rule's textbook form), its state, and where it is used.  A :class:`Family` groups the
conventions of one rule family (momentum, Nesterov, the eps of RMSprop ...) with the candidate
changes of variables (:class:`Mapping`) that carry the ``torch`` convention to each other one:

.. math::

    \begin{align*}
    \theta^{B} &= \Theta(\theta^{A}, s^{A}), \qquad s^{B} = \Phi(\theta^{A}, s^{A}) \\
    h^{B} &= \Psi(h^{A}) \quad \text{(hyperparameters; empty: the same values)}
    \end{align*}

Every convention takes the learning rate of the step, :math:`\eta_t` (the symbol ``lr``), so a
schedule drives all of them the same way; :data:`base_lr` is the schedule's peak :math:`\alpha`
(the paper's AdamW scales its decay by the schedule multiplier :math:`\eta_t/\alpha`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import sympy as sp

from optsym.spec import (
    Assign,
    Config,
    Hyper,
    Rule,
    SpecError,
    State,
    scalar,
    theta,
    unknown_name_message,
)

#: the learning rate of the previous step (the induction hypothesis was made with it)
eta_prev = scalar("eta_prev", r"\eta_{t-1}", positive=True)
#: the base learning rate :math:`\alpha` (the schedule's peak; the lr itself when it is constant)
base_lr = scalar("base_lr", r"\alpha", positive=True)


@dataclass(frozen=True)
class Convention:
    """One family's update as one source writes it."""

    family: str
    name: str
    #: the update in one line of plain text
    summary: str
    #: where it is used: torch / Goodfellow et al. / optax / TensorFlow / the paper
    source: str
    equations: Callable[[Config], tuple[Assign, ...]]
    states: Callable[[Config], tuple[State, ...]]
    #: the point at which the step evaluates the gradient (Sutskever's look-ahead), default theta
    gradient_point: sp.Expr = theta
    note: str = ""
    #: hyperparameters the rule lacks (the paper's base lr alpha)
    extra_hypers: tuple[Hyper, ...] = ()

    def as_rule(self, rule: Rule) -> Rule:
        """A :class:`Rule` whose textbook form is this convention (for code generation)."""
        return replace(rule, name=f"{rule.name}-{self.name}",
                       title=f"{rule.title}, {self.family} ({self.name} convention)",
                       hypers=rule.hypers + self.extra_hypers,
                       textbook=self.equations, implementation=self.equations,
                       states=self.states, paths={}, inexact={}, sweep=({},))


@dataclass(frozen=True)
class ChangeOfVariables:
    """A candidate change of variables from convention ``a``'s variables to ``b``'s.

    ``param``: :math:`\\theta^b` in terms of ``a``'s parameter and state (default: the same);
    ``state``: each of ``b``'s state symbols in terms of ``a``'s; ``hypers``: ``b``'s
    hyperparameter values in terms of ``a``'s (``lr`` maps the learning rate of every step).
    ``lr`` in ``param`` and ``state`` is the learning rate of the step that wrote the state.
    """

    param: sp.Expr = theta
    state: Mapping[sp.Symbol, sp.Expr] = field(default_factory=dict)
    hypers: Mapping[sp.Symbol, sp.Expr] = field(default_factory=dict)
    #: in words, e.g. "the goodfellow velocity is -lr times torch's buffer"
    words: str = ""


@dataclass(frozen=True)
class Family:
    """The conventions of one rule family, and the mapping from ``torch`` to each other one."""

    name: str
    title: str
    #: the registered rule (``optsym.rules``) whose symbols and hyperparameters it uses
    rule: str
    #: the rule options that select the family (e.g. ``momentum=0.9``)
    config: Mapping[str, Any]
    conventions: tuple[Convention, ...]
    #: convention name -> the change of variables from ``torch`` to it
    mappings: Mapping[str, ChangeOfVariables]
    #: default exact hyperparameter values for the examples (rule option name -> text)
    example_values: Mapping[str, str]
    #: the default problem: ``stream`` (a fixed gradient per step) or ``quadratic``
    problem: str = "quadratic"
    doc: str = ""
    #: rule options the family fixes (torch's ``nesterov`` selects the family; its dampening
    #: would change torch's update): a user value that differs is refused
    fixed: Mapping[str, Any] = field(default_factory=dict)
    #: rule options that must be > 0 (momentum: with 0 there is no buffer to map)
    positive: tuple[str, ...] = ()

    def check_options(self, given: Mapping[str, Any]) -> None:
        """Refuse options that would change what the family compares (:class:`SpecError`)."""
        def shown(value: Any) -> str:
            return str(value).lower() if isinstance(value, bool) else f"{value:g}"

        for name, value in given.items():
            flag = "--" + name.replace("_", "-")
            if name in self.fixed and value != self.fixed[name]:
                raise SpecError(f"{flag} {shown(value)}: the {self.name} family compares "
                                f"{self.rule} with {name} = {shown(self.fixed[name])}; "
                                f"`optsym compare --table` lists the families")
            if name in self.positive and not value > 0:
                raise SpecError(f"{flag} {shown(value)}: the {self.name} family needs "
                                f"{name} > 0 (with 0 every convention is plain SGD)")

    def names(self) -> list[str]:
        return [c.name for c in self.conventions]

    def get(self, name: str) -> Convention:
        for c in self.conventions:
            if c.name == name.lower():
                return c
        raise SpecError(unknown_name_message("convention", name, self.names(),
                                             f" for {self.name}"))

    def base_rule(self) -> Rule:
        from optsym import rules

        return rules.get(self.rule)

    def cfg(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self.base_rule().config({**self.config, **(overrides or {})})
