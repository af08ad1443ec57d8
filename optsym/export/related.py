"""Which derivations belong to which rule (for the cross-references between chapters).

A derivation is related to a rule when the rule's name is a word of the derivation's name
(``adam-constant-gradient`` and ``adam``), or when :data:`EXTRA` says so: the derivations about
plain and momentum gradient descent are SGD's, the EMA is the moment estimate of Adam and
RMSprop.  Names that do not exist are skipped.
"""

from __future__ import annotations

from optsym.export.topics import Topic, all_topics

EXTRA: dict[str, tuple[str, ...]] = {
    "sgd": ("gd-quadratic", "condition-number", "heavy-ball", "nesterov", "smooth-convex-gd",
            "sgd-noise", "saddle-points"),
    "adam": ("ema",),
    "adamw": ("adam-constant-gradient", "ema"),
    "rmsprop": ("ema",),
}


def derivations_of(rule_name: str, topics: list[Topic] | None = None) -> list[Topic]:
    """The derivation topics related to the rule ``rule_name``."""
    topics = topics if topics is not None else all_topics()
    wanted = set(EXTRA.get(rule_name, ()))
    return [t for t in topics if t.kind == "derivation"
            and (rule_name in t.name.split("-") or t.name in wanted)]


def rules_of(derivation_name: str, topics: list[Topic] | None = None) -> list[Topic]:
    """The rule topics a derivation is related to (the inverse of :func:`derivations_of`)."""
    topics = topics if topics is not None else all_topics()
    return [t for t in topics if t.kind == "rule"
            and any(d.name == derivation_name for d in derivations_of(t.name, topics))]
