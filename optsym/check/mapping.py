r"""Names in the user's code mapped to the spec's: hyperparameters from the signature, state by name.

A from-scratch Adam may call its step size ``lr``, ``learning_rate`` or ``alpha`` (the paper's
:math:`\alpha`), take ``betas=(0.9, 0.999)`` or ``beta1, beta2``, keep its first moment in
``self.m`` or ``state["exp_avg"]``.  This module holds the usual names of each spec quantity
(pure data, no torch: the sandboxed child process imports it) and does the mapping; a name it
cannot place and that has no default is a usage error that says how to map it (``--map``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

#: the usual names of each hyperparameter, by spec name (rule-specific entries first)
HYPER_ALIASES: dict[str, tuple[str, ...]] = {
    "lr": ("lr", "learning_rate", "eta", "step_size", "base_lr", "stepsize"),
    "beta1": ("beta1", "beta_1", "b1"),
    "beta2": ("beta2", "beta_2", "b2"),
    "eps": ("eps", "epsilon", "delta", "eps_", "epsilon_"),
    "weight_decay": ("weight_decay", "wd", "decay_rate_wd", "l2", "weight_decay_rate", "lambda_",
                     "lam", "lmbda"),
    "momentum": ("momentum", "mu", "gamma", "beta"),
    "dampening": ("dampening", "damp", "tau"),
    "nesterov": ("nesterov", "use_nesterov"),
    "maximize": ("maximize",),
    "amsgrad": ("amsgrad", "ams"),
    "centered": ("centered", "centred"),
    "alpha": ("alpha", "rho", "beta", "decay", "gamma", "smoothing", "beta2"),
    # schedules
    "eta_max": ("eta_max", "base_lr", "max_lr", "peak_lr", "lr", "learning_rate", "eta"),
    "eta_min": ("eta_min", "min_lr", "final_lr", "lr_min", "end_lr", "min_learning_rate"),
    "warmup": ("warmup", "warmup_steps", "num_warmup_steps", "n_warmup", "warmup_iters"),
    "T": ("T", "total", "total_steps", "num_training_steps", "max_steps", "t_max",
          "T_max", "decay_steps", "steps"),
}
#: per rule: names that mean something else there (Adam's ``alpha`` is the paper's step size)
RULE_HYPER_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "adam": {"lr": ("alpha",)}, "adamw": {"lr": ("alpha",)}, "sgd": {"lr": ("alpha",)},
}
#: a pair argument spread over two spec hyperparameters
PAIRS: dict[str, tuple[str, str]] = {"betas": ("beta1", "beta2")}

#: the usual names of each state tensor, by (rule, spec state name)
STATE_ALIASES: dict[str, tuple[str, ...]] = {
    "exp_avg": ("exp_avg", "m", "m1", "mt", "m_t", "first_moment", "moment1", "mean", "mom1",
                "mu"),
    "exp_avg_sq": ("exp_avg_sq", "v", "m2", "vt", "v_t", "second_moment", "moment2", "var",
                   "mom2", "u", "nu"),
    "max_exp_avg_sq": ("max_exp_avg_sq", "vmax", "v_max", "max_v", "vhat_max", "v_hat_max"),
    "square_avg": ("square_avg", "v", "s", "sq", "sq_avg", "cache", "ms", "mean_square",
                   "square_average", "e_g2", "eg2", "nu"),
    "grad_avg": ("grad_avg", "g_avg", "mg", "mean_grad", "gbar", "g_bar"),
}
RULE_STATE_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "sgd": {"momentum_buffer": ("momentum_buffer", "buf", "buffer", "velocity", "v", "vel",
                                "mom", "b", "m", "momentum", "trace")},
    "rmsprop": {"momentum_buffer": ("momentum_buffer", "buf", "buffer", "mom", "b",
                                    "velocity")},
}


def spellings(name: str) -> set[str]:
    """``_exp_avgs`` -> {``exp_avgs``, ``exp_avg``}: case, leading underscores, a plural."""
    key = name.strip().lstrip("_").lower()
    out = {key}
    if key.endswith("ies"):
        out.add(key[:-3] + "y")
    elif key.endswith("es"):
        out |= {key[:-2], key[:-1]}
    elif key.endswith("s") and len(key) > 1:
        out.add(key[:-1])
    return out


def hyper_aliases(rule: str, spec_name: str) -> tuple[str, ...]:
    own = RULE_HYPER_ALIASES.get(rule, {}).get(spec_name, ())
    return own + HYPER_ALIASES.get(spec_name, (spec_name,))


def state_aliases(rule: str, spec_name: str) -> tuple[str, ...]:
    own = RULE_STATE_ALIASES.get(rule, {}).get(spec_name)
    return own if own is not None else STATE_ALIASES.get(spec_name, (spec_name,))


@dataclass(frozen=True)
class Argument:
    """One parameter of the target's signature: its name and whether it has a default."""

    name: str
    has_default: bool
    default: object = None


@dataclass
class Mapping_:
    """target argument -> spec hyperparameter(s); what was left at the target's default."""

    to_spec: dict[str, tuple[str, ...]] = field(default_factory=dict)
    defaulted: dict[str, object] = field(default_factory=dict)
    error: str | None = None

    @property
    def accepted(self) -> set[str]:
        """The spec hyperparameters the target takes."""
        return {s for names in self.to_spec.values() for s in names}

    def lr_argument(self) -> str | None:
        for arg, names in self.to_spec.items():
            if names == ("lr",) or names == ("eta_max",):
                return arg
        return None

    def kwargs(self, cfg: Mapping[str, object], kinds: Mapping[str, str]) -> dict[str, object]:
        """The target's keyword arguments for the spec configuration ``cfg``."""
        out: dict[str, object] = {}
        for arg, names in self.to_spec.items():
            values = [_typed(cfg[n], kinds.get(n, "real")) for n in names]
            out[arg] = tuple(values) if len(names) > 1 else values[0]
        return out

    def describe(self) -> str:
        parts = [f"{a}->{'+'.join(n)}" if (a,) != n else a for a, n in self.to_spec.items()]
        text = ", ".join(parts) or "nothing"
        if self.defaulted:
            text += "; left at the target's default: " + ", ".join(
                f"{a}={v!r}" for a, v in self.defaulted.items())
        return text


def _typed(value: object, kind: str) -> object:
    if kind == "flag" or isinstance(value, bool):
        return bool(value)
    if kind == "int":
        return int(value)  # type: ignore[arg-type]
    if kind != "real" or value is None:  # a choice, a list of ints: as the spec holds it
        return value
    return float(value)  # type: ignore[arg-type]


def map_arguments(rule: str, arguments: Sequence[Argument], spec_names: Sequence[str],
                  explicit: Mapping[str, str] | None = None) -> Mapping_:
    """Map each argument name to the spec's (``explicit``: ``{target_name: spec_name}``)."""
    out = Mapping_()
    explicit = dict(explicit or {})
    taken: set[str] = set()
    for arg in arguments:
        spec = explicit.get(arg.name)
        names: tuple[str, ...] | None = None
        if spec is not None:
            if spec not in spec_names:
                out.error = (f"--map {arg.name}={spec}: the spec has no {spec!r}; its names: "
                             f"{', '.join(spec_names)}")
                return out
            names = (spec,)
        elif arg.name in PAIRS and all(p in spec_names for p in PAIRS[arg.name]):
            names = PAIRS[arg.name]
        else:
            for s in spec_names:
                if s in taken:
                    continue
                if arg.name in hyper_aliases(rule, s) or arg.name.lower() in [
                        a.lower() for a in hyper_aliases(rule, s)]:
                    names = (s,)
                    break
        if names is None or taken & set(names):
            if arg.has_default:
                out.defaulted[arg.name] = arg.default
                continue
            out.error = (f"cannot map the target's argument {arg.name!r} to a hyperparameter of "
                         f"{rule} ({', '.join(spec_names)}); say which with --map "
                         f"{arg.name}=NAME")
            return out
        out.to_spec[arg.name] = names
        taken |= set(names)
    return out


def map_states(rule: str, found: Sequence[str], spec_states: Sequence[str]) -> dict[str, str]:
    """target state name -> spec state name, for the names that are a spec state's usual name."""
    out: dict[str, str] = {}
    for name in found:
        keys = spellings(name)
        for s in spec_states:
            if s in out.values():
                continue
            if keys & {a.lower() for a in state_aliases(rule, s)}:
                out[name] = s
                break
    return out
