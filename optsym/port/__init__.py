r"""Porting an optimizer between torch, optax and Keras: the mapping, the defaults, the proof run.

:func:`port` reads the source optimizer's arguments as the values of its family's canonical
parameters (:mod:`optsym.port.dialects`), finds the target library's optimizer (an alias, or an
optax chain where no alias can) whose arguments give the same canonical values, and runs both
*real* libraries on one seeded gradient stream under a changing learning rate
(:mod:`optsym.port.run`).  The verdict is what the libraries did, not what the tables say:

* ``equal``: a mapping exists and the two runs agree in float64 (bitwise where they do);
* ``no mapping``: a convention the target cannot choose differs; each is named, with the
  condition under which it would not matter, and the run says at which step the closest
  mapping parts from the source and by how much after N steps;
* ``different``: a mapping was claimed but the libraries disagree (a finding to report).

Every default that differs between the two libraries is listed with its effect at the user's
gradient scale.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from optsym.port import keras_side, optax_side, torch_side
from optsym.port.dialects import Dialect, Form, Mismatch, differences
from optsym.spec import SpecError, unknown_name_message

SIDES = {"torch": torch_side, "optax": optax_side, "keras": keras_side}
NEEDS = {"torch": ("torch",), "optax": ("jax", "optax"), "keras": ("jax", "keras")}


def dialects() -> list[Dialect]:
    return [d for side in SIDES.values() for d in side.DIALECTS]


def resolve(name: str) -> Dialect:
    """``torch.optim.RMSprop``, ``optax.rmsprop``, ``keras.optimizers.RMSprop`` (any case)."""
    key = name.strip().lower().replace("keras.optimizers.", "keras.").replace("torch.optim.",
                                                                                 "torch.")
    for d in dialects():
        short = d.name.lower().replace("keras.optimizers.", "keras.").replace("torch.optim.",
                                                                             "torch.")
        if key == short:
            return d
    raise SpecError(unknown_name_message("optimizer", name, [d.name for d in dialects()]))


def require(library: str) -> None:
    for module in NEEDS[library]:
        try:
            if module == "keras":
                keras_side._keras()
            else:
                importlib.import_module(module)
        except (ImportError, RuntimeError):
            raise SpecError(f"porting to or from {library} needs {module}: "
                            "pip install 'optsym[jax]'") from None


@dataclass
class Side:
    """One side of a run: the real optimizer (an alias/class, or an optax chain) and its code."""

    library: str
    dialect: Dialect | None
    args: dict[str, Any]
    chain: list | None = None
    misses: list[Mismatch] = field(default_factory=list)

    def code(self, schedule: str, lr_decay: float = 0.0) -> str:
        lr = (f"lambda count: {schedule}(count) / (1 + count * {lr_decay!r})"
              if lr_decay and self.library == "optax" else schedule)
        if self.chain is not None:
            return optax_side.chain_code(self.chain, lr)
        shown = {k: v for k, v in self.args.items() if self._shown(k, v)}
        if self.library == "torch":
            return torch_side.code(self.dialect, {"lr": schedule, **shown}).replace(
                f"lr='{schedule}'", f"lr={schedule}")
        if self.library == "optax":
            return optax_side.alias_code(self.dialect, shown, lr)
        return keras_side.code(self.dialect, shown, schedule)

    def _shown(self, name: str, value: Any) -> bool:
        arg = self.dialect.arg(name)
        if arg.canon == "lr" or value == arg.default:
            return False
        return not (arg.default is None and not value)  # momentum=None means 0

    def run(self, x0, grads, lrs, form: Form):
        if self.library == "torch":
            return torch_side.run(self.dialect, self.args, x0, grads, lrs)
        if self.library == "keras":
            return keras_side.run(self.dialect, self.args, x0, grads, lrs)
        decay = form.get("lr_decay", 0.0) if self._absorbs_lr_decay(form) else 0.0
        eff = [lr / (1 + k * decay) for k, lr in enumerate(lrs)]
        if self.chain is not None:
            return optax_side.run("chain", self.chain, x0, grads, eff, form["weight_decay"])
        return optax_side.run("alias", (self.dialect, self.args), x0, grads, eff)

    def _absorbs_lr_decay(self, form: Form) -> bool:
        return self.library == "optax" and form.get("lr_decay", 0.0) != 0


def _express(dialect: Dialect, form: Form) -> Side:
    args, _ = dialect.express(form)
    own = dialect.form(args)
    own["constant_lr"] = form.get("constant_lr", False)
    if dialect.library == "optax":  # optax's schedule carries torch's lr_decay exactly
        own["lr_decay"] = form.get("lr_decay", 0.0)
    misses = differences(dialect.family, form, own)
    return Side(dialect.library, dialect, args, misses=misses)


def _candidates(family: str, library: str) -> list[Dialect]:
    return [d for d in SIDES[library].DIALECTS if d.family == family]


def counterpart(source: Dialect, library: str) -> Dialect:
    """The target optimizer a user would write for ``source`` (AdamW for AdamW, ...)."""
    cands = _candidates(source.family, library)
    mode = source.fixed.get("wd_mode")
    return next((d for d in cands if d.fixed.get("wd_mode") == mode
                 and d.name.lower().endswith("w") == source.name.lower().endswith("w")),
                cands[0])


def mapping(source: Dialect, form: Form, library: str) -> Side:
    """The target side that computes ``form``: an exact alias, an optax chain, or the closest."""
    sides = sorted((_express(d, form) for d in _candidates(source.family, library)),
                   key=lambda s: (len(s.misses), s.dialect is not counterpart(source, library)))
    if sides[0].misses and library == "optax":
        chain, misses = optax_side.chain_for({**form, "family": source.family})
        if not misses:
            return Side("optax", None, {}, chain=chain)
    return sides[0]


@dataclass
class PortReport:
    source: str
    source_code: str
    target: str
    verdict: str  # equal | no mapping | different
    mapping_code: str
    mismatches: list[Mismatch]
    check: dict
    defaults: list[dict]
    naive_code: str
    naive_check: dict
    settings: dict
    alias: dict | None = None

    def as_dict(self) -> dict:
        return {"source": self.source, "source_code": self.source_code, "target": self.target,
                "verdict": self.verdict, "mapping": self.mapping_code,
                "mismatches": [{"convention": m.canon, "source": m.source, "target": m.target,
                                "no_difference_when": m.when_equal or None}
                               for m in self.mismatches],
                "check": self.check, "defaults_that_differ": self.defaults,
                "naive": {"code": self.naive_code, "check": self.naive_check},
                "closest_alias": self.alias, "settings": self.settings}


def parse_args(source: Dialect, args: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in args.items():
        try:
            source.arg(key)
        except KeyError as exc:
            raise SpecError(str(exc.args[0])) from None
        out[key] = value
    return out


def port(source: str, to: str, args: Mapping[str, Any] | None = None, *, grad_scale: float = 1.0,
         steps: int = 100, constant_lr: bool = False, seed: int = 0, dim: int = 6) -> PortReport:
    """Map ``source`` (with ``args``, in its own argument names) to library ``to`` and check it."""
    from optsym.port import run as prun

    src = resolve(source)
    if to not in SIDES:
        raise SpecError(unknown_name_message("library", to, list(SIDES)))
    if to == src.library:
        raise SpecError(f"{src.name} is already a {to} optimizer; --to names the other library")
    require(src.library)
    require(to)
    given = parse_args(src, args or {})
    form = src.form(given)
    if form["lr"] is None:
        raise SpecError(f"{src.name} has no default learning rate: give "
                        f"--{src.args[0].name.replace('_', '-')}")
    form["constant_lr"] = constant_lr
    target = mapping(src, form, to)
    source_side = Side(src.library, src, {**src.defaults(), **given})
    grads = prun.gradient_stream(steps, dim, grad_scale, seed)
    x0 = prun.start(dim, seed)
    lrs = prun.schedule(float(form["lr"]), steps, constant_lr)
    here = source_side.run(x0, grads, lrs, form)
    check = prun.compare(here, target.run(x0, grads, lrs, form))
    verdict = ("no mapping" if target.misses else "equal" if check.agree else "different")
    naive_d = counterpart(src, to)
    naive = Side(to, naive_d, {naive_d.args[0].name: form["lr"]})
    naive_form = naive_d.form(naive.args)
    defaults = []
    for m in differences(src.family, form, {**naive_form, "constant_lr": constant_lr}):
        src_arg = next((a.name for a in src.args if a.canon == m.canon), None)
        arg = next((a for a in naive_d.args if a.canon == m.canon), None)
        row = {"convention": m.canon, "source_argument": src_arg, "source": m.source,
               "target_argument": arg.name if arg else None, "target_default": m.target}
        if arg is not None and not target.misses and target.dialect is not None:
            alt = Side(to, target.dialect, {**target.args, arg.name: arg.default})
            try:
                row["effect"] = prun.compare(here, alt.run(x0, grads, lrs, form)).as_dict()
            except ValueError as exc:  # the library refuses this default with the others
                row["refused"] = f"{to} refuses {arg.name}={arg.default!r} here: {exc}"
        defaults.append(row)
    alias = None
    if target.chain is not None:  # why no alias: the closest one, run
        best = min((_express(d, form) for d in _candidates(src.family, to)),
                   key=lambda s: len(s.misses))
        alias = {"code": best.code("lr" if constant_lr else "schedule"),
                 "mismatches": [m.line() for m in best.misses],
                 "check": prun.compare(here, best.run(x0, grads, lrs, form)).as_dict()}
    naive_check = prun.compare(here, naive.run(x0, grads, lrs, form))
    sched = "lr" if constant_lr else "schedule"
    return PortReport(
        source=src.name, source_code=source_side.code(sched), target=to, verdict=verdict,
        mapping_code=target.code(sched, form.get("lr_decay", 0.0)),
        mismatches=target.misses, check=check.as_dict(), defaults=defaults,
        naive_code=naive.code(sched), naive_check=naive_check.as_dict(), alias=alias,
        settings={"steps": steps, "grad_scale": grad_scale, "seed": seed, "dim": dim,
                  "dtype": "float64", "lr": form["lr"], "constant_lr": constant_lr,
                  "schedule": "constant" if constant_lr else
                  "cosine from lr to lr/10 over the run", "tolerance": prun.TOLERANCE})
