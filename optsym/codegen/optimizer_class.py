r"""A generated ``torch.optim.Optimizer`` subclass: the rule's parity step inside a drop-in class.

The module holds the ``torch-parity`` step (in the operation order of torch's single-tensor,
foreach or fused path, rewritten to update state and parameters in place by
:mod:`optsym.codegen.inplace`; on the foreach path lowered to ``torch._foreach_*`` calls over
whole lists by :mod:`optsym.codegen.foreach`, one call per batch of parameters that share a
device, a dtype and a step count, as torch groups them) and a class around it::

    opt = Adam(model.parameters(), lr=1e-3)      # the reference's argument names and defaults
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=50)
    loss.backward(); opt.step(); sched.step()
    torch.optim.Adam(model.parameters()).load_state_dict(opt.state_dict())   # and back

Param groups carry the reference's keys (``betas`` as a tuple; ``lr`` and every numeric
hyperparameter are read from the group at every step, so schedulers and per-group values work).
State uses the reference's names (``step`` as a 0-d float32 tensor, ``exp_avg``, ...; torch's
SGD keeps no ``step``, and neither does its generated class), so a checkpoint of the reference
loads into the generated class and back.  Parameters whose ``.grad`` is ``None`` are skipped.
State tensors keep their identity: written in place, or copied into when an operation has no
in-place form.  The structure (``amsgrad``, ``nesterov``, a zero weight decay, ...) is fixed by
the configuration the class was generated for; a param group with another value of a structural
option is refused with a ``ValueError`` instead of silently computing something else.
"""

from __future__ import annotations

import ast

from optsym.codegen.compiled import compiled_step
from optsym.codegen.foreach import lower_loop
from optsym.codegen.inplace import inplace_loop
from optsym.codegen.module import _FORMS, _fmt_value, _split, check_lines, cli_options, generate
from optsym.codegen.printers import _array_valued
from optsym.spec import PER_TENSOR_CODE, Config, Rule, SpecError

#: references whose state holds no ``step`` (torch's SGD): the class derives the one fact the
#: step reads from it, "first step or not", from whether the state is empty
NO_STEP_STATE = frozenset({"torch.optim.SGD"})

_LOOP = "    for i in range(len(params)):\n"
_COMPILED_FORM = ("torch's CPU {} operation order, each tensor's update one torch.compile kernel "
                  "(within the bound of tests/test_optimizer_class_compiled.py, not bit-exact)")

_CLASS = '''

def _scalar_dtype():
    """torch's ``_get_scalar_dtype()``: the dtype of ``step`` and other 0-d state."""
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32


def _check(group):
    """Refuse a param group whose structural options differ from this module's."""
    for key, read, fixed in _STRUCTURE:
        if read(group) != fixed:
            raise ValueError(f"this {cls} was generated for {{key}}={{fixed!r}}, the param group "
                             f"has {{read(group)!r}}; regenerate it with that value")


def _check_path(foreach, fused):
    """torch's ``foreach``/``fused`` arguments: None (any) or the path this module follows."""
    asked = "fused" if fused else "foreach" if foreach else "single" if foreach is False else None
    if fused is False and _PATH == "fused":
        asked = "single"
    if asked is not None and asked != _PATH:
        raise ValueError(f"this {cls} follows torch's {{_PATH}} path; foreach={{foreach!r}}, "
                         f"fused={{fused!r}} asks for the {{asked}} path: regenerate it with "
                         f"--impl {{asked}}")


def _validate(group):
    """The reference's range checks on a param group, at construction (as torch's own)."""
{validate}


class {cls}(torch.optim.Optimizer):
    """{title} as a ``torch.optim.Optimizer`` (generated; ``_step`` above does the arithmetic,
    in the operation order of torch's {path})."""

    def __init__(self, params{signature}, foreach=None, fused=None):
        _check_path(foreach, fused)
        super().__init__(params, dict({defaults}))

    def add_param_group(self, param_group):
        super().add_param_group(param_group)
        _validate(self.param_groups[-1])
        _check(self.param_groups[-1])

    @torch.no_grad()
    def step(self, closure=None):
        """One step of every parameter with a gradient; returns ``closure()``'s loss."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            _check(group)
            batches = {{}}  # {batch_doc}
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError("{cls} does not support sparse gradients")
                state = self.state[p]
                done = {steps_done}
                if len(state) == 0:
                    fresh = init_state([p]{init_args})
{fresh_step}                    for ours, theirs in _STATE_KEYS.items():
                        value = fresh[ours][0]
                        state[theirs] = value.to(_scalar_dtype()) if value.dim() == 0 else value
                batches.setdefault({batch_key}, []).append(p)
            for key, ps in batches.items():
                states = [self.state[p] for p in ps]
                view = {{"step": {batch_done}}}
                for ours, theirs in _STATE_KEYS.items():
                    view[ours] = [s[theirs] for s in states]
{count_steps}                _step(ps, [p.grad for p in ps], view{step_args})
                for j, s in enumerate(states):
{count_step}                    for ours, theirs in _STATE_KEYS.items():
                        if view[ours][j] is not s[theirs]:
                            s[theirs].copy_(view[ours][j])
        return loss
'''


def _argument(rule: Rule, name: str) -> tuple[str, int | None] | None:
    """The reference's argument for hyperparameter ``name``: ``(argument, tuple position)``."""
    h = rule.hyper(name)
    default = (h.argument or h.name, h.position) if h.position is not None else (h.argument or h.name)
    arg = rule.reference.arguments.get(name, default)
    if arg is None:
        return None
    return arg if isinstance(arg, tuple) else (arg, None)


def _read(arg: tuple[str, int | None], group: str = "group") -> str:
    """How the class reads an argument from a param group: ``group["betas"][0]``."""
    return f'{group}["{arg[0]}"]' + (f"[{arg[1]}]" if arg[1] is not None else "")


def _literal(value) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_fmt_value(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return _fmt_value(value)


def class_name(rule: Rule) -> str:
    """The class's name: the reference's (``Adam``) or the rule's title made an identifier."""
    name = rule.reference.name if rule.reference.kind == "torch.optim" else rule.title
    name = "".join(c for c in name if c.isalnum() or c == "_")
    return name if name and not name[0].isdigit() else f"Generated{name}"


def _signature(rule: Rule, cfg: Config) -> dict[str, object]:
    """The constructor's arguments with their defaults, in the order of the rule's parameters."""
    kwargs = rule.reference.kwargs(rule.hypers, cfg)
    order: list[str] = []
    for h in rule.hypers:
        arg = _argument(rule, h.name)
        if arg is not None and arg[0] not in order:
            order.append(arg[0])
    return {a: kwargs[a] for a in order if a in kwargs}


def _tensor_names(rule: Rule, cfg: Config, path: str) -> set[str]:
    """The loop's names that hold tensors (the others hold one number per tensor: NAdam's
    ``mu_product``, Adafactor's ``alpha``, ...), from the rule's equations."""
    states = rule.states(cfg)
    _, per_tensor = _split(rule.implementation_for(path)(cfg),
                           frozenset(s.symbol for s in states if s.scalar)
                           | frozenset(PER_TENSOR_CODE))
    return ({"param", "grad"} | {str(s.symbol) for s in states if not s.scalar}
            | {str(eq.target) for eq in per_tensor if _array_valued(eq.expr)})


def _in_place(source: str, rule: Rule, cfg: Config, path: str, lower: bool = True) -> str:
    """``source`` with the loop of its ``_step`` rewritten in place, and on the foreach path
    lowered to multi-tensor operations (:mod:`optsym.codegen.foreach`)."""
    head, loop = source.split(_LOOP, 1)
    lines = loop.rstrip("\n").split("\n")
    states = rule.states(cfg)
    owned = {"param"} | {str(s.symbol) for s in states if not s.scalar}
    assigned = {ln.split("=", 1)[0].strip() for ln in lines
                if "=" in ln and ln.split("=", 1)[0].strip().isidentifier()}
    tensors = owned | {"grad"} | assigned
    full = {"param", "grad"} | {str(s.symbol) for s in states
                                if not s.scalar and s.shape_of == "p"}
    lines = inplace_loop(lines, owned, tensors, frozenset(full))
    if path != "foreach" or not lower:
        return head + _LOOP + "\n".join(lines) + "\n"
    reserved = {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)} \
        | {n.arg for n in ast.walk(ast.parse(source)) if isinstance(n, ast.arg)}
    return head + "\n".join(lower_loop(lines, _tensor_names(rule, cfg, path), owned,
                                         reserved, full)) + "\n"


def _header(source: str, rule: Rule, cfg: Config, cls: str) -> str:
    """The module docstring of the parity module, retold for the class."""
    usage_old = ("    state = init_state(params)\n    for grads in ...:\n"
                 "        step(params, grads, state)   # params are updated in place\n")
    usage_new = (f"    opt = {cls}(model.parameters())   # a torch.optim.Optimizer\n"
                 "    loss.backward(); opt.step(); opt.zero_grad()\n")
    source = source.replace(usage_old, usage_new, 1)
    source = source.replace(f"{rule.title} step (torch-parity)",
                            f"{rule.title} as a torch.optim.Optimizer (torch-optimizer)", 1)
    return source.replace(f"--target torch-parity{cli_options(rule, cfg)}",
                          f"--target torch-optimizer{cli_options(rule, cfg)}", 1)


def generate_class(rule: Rule, cfg: Config, path: str = "single") -> str:
    """Python source of a module with the rule's in-place parity step and a
    ``torch.optim.Optimizer`` subclass around it, in the operation order of torch's ``path``
    (``single``, ``foreach`` or ``fused``: bit-equal to the reference built with that path's
    flags, ``foreach=True`` say)."""
    compiled = path == "compiled"
    order = ("foreach" if "foreach" in rule.paths else "single") if compiled else path
    if not compiled and path not in rule.reference.path_flags:
        raise SpecError(f"{rule.reference.qualified} has no {path} path; --target "
                        f"torch-optimizer follows one of: {', '.join(rule.reference.path_flags)}"
                        ", compiled")
    equations = rule.implementation_for(order)(cfg)  # refuses a path the rule does not write
    source = generate(rule, cfg, "torch-parity", order)
    source = source.replace("\ndef step(", "\ndef _step(", 1)
    source = _in_place(source, rule, cfg, order, lower=not compiled)
    if compiled:
        source = compiled_step(source, rule, cfg, order)
        source = source.replace(f"Form: {_FORMS[order]}", f"Form: {_COMPILED_FORM.format(order)}",
                                1).replace(" --impl foreach``", "``", 1)
        source = source.replace(f"--target torch-parity{cli_options(rule, cfg)}",
                                f"--target torch-parity{cli_options(rule, cfg)} --impl compiled",
                                1)
    used = set().union(*(eq.expr.free_symbols for eq in equations))
    in_init = set().union(*(s.init.free_symbols for s in rule.states(cfg)))
    step_args, init_args, structure = [], [], []
    for h in rule.hypers:
        arg = _argument(rule, h.name)
        if arg is None:
            continue
        if h.symbol is not None and h.symbol in used:
            step_args.append(f", {h.name}={_read(arg)}")
        if h.symbol is not None and h.symbol in in_init:
            init_args.append(f", {h.name}={_read(arg)}")
        if h.symbol is None or (h.symbol not in used and h.symbol not in in_init):
            structure.append(f"    ({arg[0] + (f'[{arg[1]}]' if arg[1] is not None else '')!r}, "
                             f"lambda group: {_read(arg)}, {_fmt_value(cfg[h.name])}),")
    signature = _signature(rule, cfg)
    cls = class_name(rule)
    reads = {h.name: _read(arg).replace('"', "'") for h in rule.hypers
             if (arg := _argument(rule, h.name)) is not None and arg[0] in signature}
    validate = "\n".join(check_lines(rule, set(reads), reads.__getitem__)) or "    pass"
    keeps_step = rule.reference.qualified not in NO_STEP_STATE
    foreach = path == "foreach"  # torch's grouping; the compiled path calls its kernel per tensor
    body = _CLASS.format(
        cls=cls, title=rule.title,
        signature="".join(f", {a}={_literal(v)}" for a, v in signature.items()),
        defaults=", ".join(f"{a}={a}" for a in signature),
        steps_done=('int(state["step"].item()) if "step" in state else 0' if keeps_step
                    else "0 if len(state) == 0 else 1"),
        fresh_step=('                    state["step"] = torch.tensor(0.0, dtype=_scalar_dtype())\n'
                    if keeps_step else ""),
        count_step=('                    s["step"] += 1\n' if keeps_step and not foreach
                    else ""),
        count_steps=('                torch._foreach_add_([s["step"] for s in states], 1)\n'
                     if keeps_step and foreach else ""),
        batch_key="(p.device, p.dtype, done)" if foreach else "done",
        batch_done="key[2]" if foreach else "key",
        batch_doc=("(device, dtype, steps done) -> parameters, as torch groups them (one _step "
                   "call each)" if foreach else "steps done -> parameters (one _step call per "
                   "step count)"),
        init_args="".join(init_args), step_args="".join(step_args), validate=validate,
        path=f"{order} path, as torch.compile kernels" if compiled else f"{path} path")
    keys = {s.name: rule.reference.state_key(s.name) for s in rule.states(cfg)}
    tables = (f"\n\n#: torch's path whose operation order _step follows\n_PATH = {path!r}\n"
              f"#: the step's state name -> the reference's state key\n_STATE_KEYS = {keys!r}\n"
              "#: the structural options this module was generated for: (argument, how a param "
              "group holds it, value)\n_STRUCTURE = (\n" + "\n".join(structure) + "\n)\n")
    source = _header(source, rule, cfg, cls)
    return source.rstrip("\n") + "\n" + tables + body


__all__ = ["NO_STEP_STATE", "class_name", "generate_class"]
