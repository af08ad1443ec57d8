r"""The compiled path: a rule's in-place step with each tensor's update as one ``torch.compile``
kernel, for every rule of elementwise tensor operations (Lion and LAMB included, which torch
has no fused kernel for).

The step keeps the class's structure and its scalar work in Python floats, computed as the eager
step computes them (``bias_correction1 = 1 - beta1**t``); the tensor work of one parameter, in
the operation order of torch's foreach path where the rule has one (else its single-tensor
order), becomes a function of that parameter's tensors and of the scalars it reads::

    def _update(param_, grad_, exp_avg_, *, beta1, beta2, lr):
        param, grad, exp_avg = param_, grad_, exp_avg_
        update = torch.lerp(exp_avg, grad, 1 - beta1).sign_()
        ...
        param_.copy_(param)       # results written into the caller's tensors
        exp_avg_.copy_(exp_avg)

compiled once with ``torch.compile(dynamic=True, fullgraph=True)``: tensors are passed flat
(``view(-1)``), so parameters of any shape share one kernel per dtype; the scalars are Python
floats, which torch's compiler takes as inputs of the graph rather than constants
(``torch._dynamo.config.specialize_float`` is False), so a scalar that changes every step (the
bias corrections) does not freeze at its first value or recompile.  ``fullgraph=True`` makes a
graph break an error instead of a silent fallback.

A compiled kernel fuses the operations into one pass over memory and may round differently
from the eager operations (it contracts and reassociates within an expression): the class is
not bit-equal to its reference, it is checked against the eager step within a stated bound
(``tests/test_optimizer_class_compiled.py``).  Rules whose update reads per-tensor numbers
(NAdam's and ASGD's 0-d states, ``.item()``) or the tensor's shape (Adafactor's factored
moments) have no compiled path.
"""

from __future__ import annotations

import ast

from optsym.spec import PER_TENSOR_CODE, Config, Rule, SpecError

_LOOP = "    for i in range(len(params)):\n"
#: names a kernel may read without their being passed in (module globals, builtins)
_GLOBAL = frozenset({"torch", "math", "max", "min", "abs", "float", "int", "len", "range"})

_FLAT = '''

def _flat(x):
    """``x`` as one dimension (a view: writes reach ``x``) when it is contiguous."""
    return x.view(-1) if x.is_contiguous() else x
'''


def refusal(rule: Rule, cfg: Config, path: str) -> str | None:
    """Why ``rule`` under ``cfg`` has no compiled path, or None."""
    states = rule.states(cfg)
    scalar = [s.name for s in states if s.scalar]
    if scalar:
        return f"its update reads numbers kept per tensor ({', '.join(scalar)})"
    used = set().union(*(eq.expr.free_symbols for eq in rule.implementation_for(path)(cfg)))
    shape = sorted(str(s) for s in PER_TENSOR_CODE if s in used)
    if shape:
        return f"its update reads the tensor's shape ({', '.join(shape)})"
    return None


def _kernel(lines: list[str]) -> tuple[str, list[str], list[str]]:
    """The kernel ``_update`` of the loop body ``lines``, the loop's element reads (``params``,
    ``grads``, ``state["exp_avg"]``, ...) in argument order, and the scalars it reads."""
    reads: list[tuple[str, str]] = []  # (name, list it is element i of)
    body: list[str] = []
    for line in lines:
        code = line.strip()
        stmt = ast.parse(code).body[0]
        if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name) \
                and isinstance(stmt.value, ast.Subscript) \
                and ast.unparse(stmt.value.slice) == "i":
            reads.append((stmt.targets[0].id, ast.get_source_segment(code, stmt.value.value)))
            continue
        if code == "params[i].copy_(param)" or (
                isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Subscript)):
            continue  # written back below
        body.append("    " + line.strip())
    names = {n for n, _ in reads}
    assigned = names | {t.id for ln in body for node in ast.walk(ast.parse(ln.strip()))
                        if isinstance(node, ast.Assign) for t in node.targets
                        if isinstance(t, ast.Name)}
    read = [n.id for ln in body for n in ast.walk(ast.parse(ln.strip()))
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
    scalars = sorted({n for n in read if n not in assigned and n not in _GLOBAL})
    args = ", ".join(f"{n}_" for n, _ in reads)
    star = ", *, " + ", ".join(scalars) if scalars else ""
    out = [f"def _update({args}{star}):",
           '    """One tensor\'s update (one compiled kernel); results written into the '
           'arguments."""',
           *(f"    {n} = {n}_" for n, _ in reads), *body,
           *(f"    {n}_.copy_({n})" for n, _ in reads if n != "grad")]
    return "\n".join(out) + "\n", [whole for _, whole in reads], scalars


def compiled_step(source: str, rule: Rule, cfg: Config, path: str) -> str:
    """``source`` (a class module with an in-place ``_step`` loop) with the loop's body made
    the compiled kernel ``_update`` and the loop calling it once per tensor."""
    why = refusal(rule, cfg, path)
    if why is not None:
        raise SpecError(f"{rule.name} has no compiled path: {why}")
    head, loop = source.split(_LOOP, 1)
    loop, rest = (loop.split("\n\n\n", 1) + [""])[:2]
    kernel, lists, scalars = _kernel(loop.rstrip("\n").split("\n"))
    call = ", ".join(f"_flat({whole}[i])" for whole in lists)
    keywords = "".join(f", {n}={n}" for n in scalars)
    at = head.rindex("\n\n@torch.no_grad()")
    head = (head[:at] + _FLAT + "\n\n" + kernel
            + "\n\n#: the kernel, compiled at its first call (once per dtype and rank)\n"
            "_compiled_update = torch.compile(_update, dynamic=True, fullgraph=True)\n"
            + head[at:])
    return (head + _LOOP + f"        _compiled_update({call}{keywords})\n"
            + ("\n\n" + rest if rest else ""))


__all__ = ["compiled_step", "refusal"]
