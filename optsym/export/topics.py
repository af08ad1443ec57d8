"""The course's topics: every rule, every schedule, every derivation, found in the registries
(so rules and derivations added later become chapters without a change here)."""

from __future__ import annotations

from dataclasses import dataclass

from optsym.spec import SpecError, unknown_name_message

#: the kinds of topic, in the order of the course's parts
KINDS = ("rule", "schedule", "derivation", "chapter")


@dataclass(frozen=True)
class Topic:
    """A chapter: ``kind`` (rule, schedule, derivation, chapter) and the registry name."""

    kind: str
    name: str
    title: str

    @property
    def key(self) -> str:
        """The qualified name, e.g. ``rule:adam``."""
        return f"{self.kind}:{self.name}"

    @property
    def label(self) -> str:
        """The chapter's LaTeX label."""
        return f"ch:{self.kind}:{self.name}"

    @property
    def slug(self) -> str:
        """A file-name stem (``rule-adam``)."""
        return f"{self.kind}-{self.name}"

    def spec(self):
        """The rule, schedule or derivation itself."""
        return _registry(self.kind).get(self.name)


def _registry(kind: str):
    if kind == "rule":
        from optsym import rules as registry
    elif kind == "schedule":
        from optsym import schedules as registry
    elif kind == "chapter":
        from optsym.export import chapters as registry
    else:
        from optsym import derivations as registry
    return registry


def all_topics() -> list[Topic]:
    """Every topic, rules first, then schedules, then derivations (registry order)."""
    out = []
    for kind in KINDS:
        registry = _registry(kind)
        for name in registry.names():
            out.append(Topic(kind, name, registry.get(name).title))
    return out


def find(name: str) -> Topic:
    """The topic ``kind:name`` or ``name`` (a bare name must be unambiguous)."""
    text = name.strip().lower()
    kind, sep, bare = text.partition(":")
    if sep and kind not in KINDS:
        raise SpecError(f"unknown topic kind {kind!r} in {name!r}; kinds: {', '.join(KINDS)}")
    candidates = []
    for k in ([kind] if sep else KINDS):
        registry = _registry(k)
        if (bare if sep else text) in registry.names():
            candidates.append(k)
    key = bare if sep else text
    if not candidates:
        known = [f"{k}:{n}" for k in KINDS for n in _registry(k).names()]
        plain = [k.partition(":")[2] for k in known]
        message = unknown_name_message("topic", name, sorted(set(plain)) if not sep else known)
        raise SpecError(message + " (see optsym export --list)")
    if len(candidates) > 1:
        raise SpecError(f"topic {name!r} is ambiguous: "
                        f"{', '.join(f'{k}:{key}' for k in candidates)}; give one of these")
    registry = _registry(candidates[0])
    return Topic(candidates[0], key, registry.get(key).title)
