r"""One parameter type for every spec: a rule's hyperparameters, a schedule's, a derivation's,
a transform's.

A :class:`Param` is what the command line shows as ``--name VALUE``: its kind (real, integer,
flag, choice, list of integers), its SymPy symbol (and so its LaTeX name), default, domain in
words, the check and the reference's own message for a bad value, the interval a numeric proof
check samples from, and how the reference takes it (``argument``, and ``position`` within a
tuple argument: Adam's ``beta1`` is ``betas[0]``).  :class:`ParamSet` gives a spec with
``params`` (and cross-parameter ``checks``) its configuration methods.

:func:`Hyper` is the older spelling a rule file uses (``Hyper(name, symbol, default, doc,
domain, valid, error, sample)``); it builds a :class:`Param` of kind ``real`` or ``flag``.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Callable

import sympy as sp

from optsym.errors import SpecError, unknown_name_message

Config = Mapping[str, Any]

KINDS = ("real", "int", "flag", "choice", "ints", "text")


@dataclass(frozen=True)
class Param:
    """A parameter: its name (``--eta-max`` on the command line), kind, symbol and domain."""

    name: str
    default: Any
    doc: str
    #: ``real``, ``int``, ``flag`` (true/false), ``choice`` (one of ``choices``), ``ints`` or
    #: ``text`` (a formula or a point, parsed by the spec's own safe parser)
    kind: str = "real"
    symbol: sp.Symbol | None = None
    choices: tuple[str, ...] = ()
    #: True when the value is valid; ``error`` is the message otherwise (``{value}``,
    #: ``{name}``): the reference's own message where it has one
    valid: Callable[[Any], bool] | None = None
    error: str = ""
    #: the domain in words (``lr >= 0``), shown by ``optsym list``
    domain: str = ""
    #: interval to sample from when a proof is checked numerically
    sample: tuple[float, float] = (0.0, 1.0)
    #: the reference's argument name (default: ``name``)
    argument: str | None = None
    #: the index within a tuple argument (``betas[0]``), or None
    position: int | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def is_flag(self) -> bool:
        return self.kind == "flag"

    @property
    def latex(self) -> str:
        """The parameter's name in formulas (``\\eta`` for ``lr``)."""
        if self.symbol is None:
            return r"\mathrm{" + self.name.replace("_", r"\_") + "}"
        from optsym.spec import LATEX_NAMES

        return LATEX_NAMES.get(self.symbol, sp.latex(self.symbol))

    @property
    def reference_argument(self) -> str:
        """``betas[0]``, ``lr``: how the reference takes it."""
        arg = self.argument or self.name
        return arg if self.position is None else f"{arg}[{self.position}]"

    def coerce(self, value: Any) -> Any:
        """``value`` in the parameter's type; a value of the wrong type raises SpecError."""
        if value is None and self.default is None:  # torch's None (Adafactor's eps1)
            return None
        if self.kind == "flag":
            return bool(value)
        if self.kind == "int":
            if isinstance(value, float) and not value.is_integer():
                raise SpecError(f"option {self.flag} expects an integer, got {value!r}")
            try:
                return int(value)
            except (TypeError, ValueError):
                raise SpecError(f"option {self.flag} expects an integer, got {value!r}") from None
        if self.kind == "real":
            try:
                return float(value)  # a plain float (an Exact's exact value is kept by config)
            except (TypeError, ValueError):
                raise SpecError(f"option {self.flag} expects a number, got {value!r}") from None
        if self.kind == "text":
            return str(value)
        if self.kind == "choice":
            if value not in self.choices:
                raise SpecError(f"option {self.flag} expects one of {', '.join(self.choices)}, "
                                f"got {value!r}")
            return value
        if self.kind == "ints":
            return tuple(int(v) for v in value)
        raise AssertionError(self.kind)

    def check(self, value: Any) -> None:
        """Raise the reference's message when ``value`` is outside the domain."""
        if self.valid is not None and not self.valid(value):
            # a check that carries its own message (a transform's ``Condition``) says it
            message = self.error or getattr(self.valid, "message", "") or \
                "{name}: invalid value {value}"
            raise SpecError(message.format(value=shown(value), name=self.flag))


def Hyper(name: str, symbol: sp.Symbol | None, default: float | bool | None, doc: str,  # noqa: N802
          domain: str = "", valid: Callable[[Any], bool] | None = None, error: str = "",
          sample: tuple[float, float] = (0.0, 1.0), *, argument: str | None = None,
          position: int | None = None) -> Param:
    """A rule's hyperparameter in the rule files' order of arguments: a real number (default
    ``None`` for torch's derived default) or, with a bool default, a flag."""
    return Param(name, default, doc, "flag" if isinstance(default, bool) else "real", symbol,
                 valid=valid, error=error, domain=domain, sample=sample, argument=argument,
                 position=position)


def find(params, name: str, owner: str, as_flags: bool = False) -> Param:
    """The parameter called ``name``; an unknown name suggests the closest (as ``--flags``
    with ``as_flags``)."""
    for p in params:
        if p.name == name:
            return p
    if as_flags:
        name, known = "--" + name.replace("_", "-"), [p.flag for p in params]
    else:
        known = [p.name for p in params]
    raise SpecError(unknown_name_message("option", name, known, f" for {owner}"))


class ParamSet:
    """Configuration methods for a spec with ``name``, ``params`` and ``checks``."""

    def param(self, name: str) -> Param:
        return find(self.params, name, self.name, as_flags=True)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def config(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Defaults with ``overrides`` applied and checked (types first, then domains)."""
        cfg = ExactConfig(self.defaults())
        for key, value in (overrides or {}).items():
            cfg[key] = self.param(key).coerce(value)
            if isinstance(value, Exact) and self.param(key).kind == "real":
                cfg.exact[key] = value.exact
        for p in self.params:
            p.check(cfg[p.name])
        for bad, message in self.checks:
            if bad(cfg):
                raise SpecError(message.format(**{n: shown(v) for n, v in cfg.items()}))
        return cfg

    def values(self, cfg: Config) -> dict[sp.Symbol, sp.Expr]:
        """Each parameter symbol's value as an exact SymPy number: as typed (``1/10``,
        ``5+sqrt(2)``) where the configuration kept it (:class:`ExactConfig`), other floats as
        their doubles."""
        typed = getattr(cfg, "exact", {})
        out = {}
        for p in self.params:
            if p.symbol is not None:
                v = cfg[p.name]
                out[p.symbol] = typed[p.name] if p.name in typed else \
                    sp.Integer(v) if p.kind == "int" else sp.Rational(float(v))
        return out

    def shortest_values(self, cfg: Config) -> dict[sp.Symbol, sp.Expr]:
        """:meth:`values`, but a float not typed exactly is read through its shortest decimal
        (the default ``0.01`` is 1/100, not its double): the numbers a reader sees."""
        from optsym.objective import exact_decimal

        typed = getattr(cfg, "exact", {})
        out = self.values(cfg)
        for p in self.params:
            if p.symbol is not None and p.kind == "real" and p.name not in typed \
                    and isinstance(cfg[p.name], float):
                out[p.symbol] = exact_decimal(repr(cfg[p.name]))
        return out

    def non_default(self, cfg: Config) -> dict[str, Any]:
        return {n: v for n, v in cfg.items() if self.param(n).default != v}


# ---- exact numbers from the command line ---------------------------------------------------
class Exact(float):
    r"""A real parameter that remembers the exact number it was typed as.

    It is the double nearest to the value (so torch, NumPy and generated code see a float), and
    ``exact`` is the SymPy number itself: ``--lr 1/10`` is :math:`1/10`, ``--L "5+sqrt(2)"``
    is :math:`5 + \sqrt{2}`, ``--gamma "exp(-0.05)"`` is :math:`e^{-1/20}`, ``2^-10`` is
    :math:`1/1024`.  Exact computations (derivations, worked examples) read ``exact``.
    """

    exact: sp.Expr
    text: str

    def __new__(cls, exact: sp.Expr, text: str = "") -> Exact:
        self = super().__new__(cls, float(exact) if exact.is_Rational else float(sp.N(exact, 30)))
        self.exact = exact
        self.text = text or sp.sstr(exact)
        return self

    def __reduce__(self):
        return (Exact, (self.exact, self.text))


class ExactConfig(dict):
    """A configuration (name -> plain float, int, flag...) that also keeps, in ``exact``, the
    exact value of each real parameter typed exactly: numeric code sees floats only."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exact: dict[str, sp.Expr] = {}


def exact_of(value: Any) -> sp.Expr:
    """``value`` as an exact SymPy number: an :class:`Exact`'s own value, an int as itself, a
    float as the double it is (``sp.Rational(0.1)`` is 3602879701896397/2^55)."""
    if isinstance(value, Exact):
        return value.exact
    if isinstance(value, int):
        return sp.Integer(value)
    return sp.Rational(float(value))


def exact_number(text: str) -> sp.Expr:
    r"""The constant ``text`` as an exact real SymPy number, read by the objective's allow-list
    grammar (:mod:`optsym.objective`; never evaluated): decimals (``0.1`` is :math:`1/10`),
    ``p/q``, ``+ - * / ^``, ``sqrt``, ``exp``, ``log``, ``pi``, ``e``.

    Raises :class:`SpecError` (one line) for anything else, a variable, or a value that is not
    a finite real number.
    """
    from optsym.objective import ObjectiveError, exact_decimal

    text = text.strip()
    if text.lower().lstrip("+-") in ("inf", "infinity", "nan"):
        raise SpecError(f"{text!r} is not a finite number")
    try:
        return exact_decimal(text)
    except ObjectiveError:
        pass
    try:
        value = _constant(text)
    except ObjectiveError as exc:
        reason = str(exc).replace("the objective", "the value").replace("an objective", "a value")
        raise SpecError(f"{text!r} is not a number ({reason})") from None
    return value


def _constant(text: str) -> sp.Expr:
    """``text`` built node by node by the objective's grammar, with no variable, real and
    finite."""
    import ast

    from optsym import objective_grammar as grammar

    source = grammar.checked_text(text)
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise grammar.ObjectiveError("it does not parse") from None
    grammar.check_depth(tree.body)
    builder = grammar.Builder(source)
    value = builder.build(tree.body)
    if builder.variables:
        raise grammar.ObjectiveError(f"{', '.join(builder.variables)} is not a known constant "
                                       "(pi, e)")
    try:
        z = complex(sp.N(value, 30))
    except (TypeError, ValueError, OverflowError):
        raise grammar.ObjectiveError("it is not a finite real number") from None
    if value.has(sp.zoo, sp.oo, -sp.oo, sp.nan) or z.imag != 0 or not math.isfinite(z.real):
        raise grammar.ObjectiveError("it is not a finite real number")
    return value


def parse_real(text: str, flag: str) -> Exact:
    """``--flag TEXT`` as an :class:`Exact`: one-line :class:`SpecError` when it is not a
    finite real number, or is one that float64 cannot hold (it would be 0 or infinite)."""
    text = text.strip()
    try:
        double = float(text)  # a plain decimal (and inf, nan), in float64's range or not
    except ValueError:
        double = None
    if double is not None:
        if not math.isfinite(double):
            raise SpecError(f"option {flag} expects a finite number, got {text!r}")
        if double == 0.0 and any(c in "123456789" for c in text.lower().partition("e")[0]):
            raise SpecError(f"option {flag}: {text} is below the smallest float64 (it would be 0)")
        from optsym.objective import ObjectiveError, exact_decimal

        for exact_text in (text, repr(double)):  # over 30 digits: the double's shortest decimal
            try:
                return Exact(exact_decimal(exact_text), text)
            except ObjectiveError:
                pass
        return Exact(sp.Rational(double), text)  # beyond 10^60: the double itself
    try:
        value = exact_number(text)
    except SpecError as exc:
        raise SpecError(f"option {flag} expects a number (0.1, 1/10, 2^-10, 5+sqrt(2), "
                        f"exp(-0.05)), got {text!r}" + _detail(str(exc))) from None
    number = Exact(value, text)
    if not math.isfinite(number):
        raise SpecError(f"option {flag} expects a finite number, got {text!r}")
    if number == 0.0 and value != 0:
        raise SpecError(f"option {flag}: {text} is below the smallest float64 (it would be 0)")
    return number


def _detail(message: str) -> str:
    """The parser's reason, when it says more than "not a number"."""
    _, _, reason = message.partition(" is not a number (")
    reason = reason[:-1] if reason.endswith(")") else reason
    return f": {reason}" if reason and "is not a number" not in reason else ""


def shown(value: Any) -> Any:
    """A value as the user most likely typed it (``-1``, not ``-1.0``; ``30,80``)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return value


_shown = shown  # the older name

#: the words a flag option takes for true and for false (``--amsgrad false``)
TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})


def option_pairs(args: Sequence[str], known: Collection[str], flags: Collection[str],
                 unknown: Callable[[str], str]) -> list[tuple[str, str, str | None]]:
    """``--name VALUE`` / ``--name=VALUE`` / ``--flag [true|false]`` arguments as
    ``(name, --flag as typed, text)`` triples, in order: the one reading of options after a
    spec's name that every command shares.  ``name`` has ``_`` for ``-``; a flag's text is None
    when no true/false word follows; an unknown name raises ``SpecError(unknown(flag))``."""
    out: list[tuple[str, str, str | None]] = []
    i = 0
    while i < len(args):
        token = args[i]
        if not token.startswith("--") or len(token) == 2:
            raise SpecError(f"unexpected argument {token!r}")
        key, eq, value = token[2:].partition("=")
        name, flag = key.replace("-", "_"), "--" + key
        if name not in known:
            raise SpecError(unknown(flag))
        if not eq:
            if name in flags:
                follows = i + 1 < len(args) and args[i + 1].lower() in TRUE_WORDS | FALSE_WORDS
                value = args[i + 1] if follows else None
                i += int(follows)
            else:
                i += 1
                if i >= len(args):
                    raise SpecError(f"option {flag} needs a value")
                value = args[i]
        out.append((name, flag, value))
        i += 1
    return out


__all__ = ["Exact", "ExactConfig", "FALSE_WORDS", "Hyper", "KINDS", "Param", "ParamSet",
           "TRUE_WORDS", "exact_number", "exact_of", "find", "option_pairs", "parse_real",
           "shown"]
