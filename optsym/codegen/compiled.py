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

from optsym.codegen.inplace import _split_comment
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


class _Lift(ast.NodeTransformer):
    """Lifts each scalar subexpression of a kernel line (one that reads only the step's
    scalars) out of the kernel: a number becomes a 0-d tensor argument ``s0`` (computed by the
    eager step in Python floats, then made a tensor of the parameter's dtype, as torch makes a
    Python scalar before an operation), a condition a bool argument ``b0``; the operations
    that take only Python numbers (``alpha=``, ``value=``) are rewritten to take tensors."""

    def __init__(self, scalars: set[str], lifted: dict[str, str]):
        self.scalars, self.lifted = scalars, lifted
        self.guards: list[tuple[str, bool]] = []  # (condition, branch) around the node

    def _scalar(self, node: ast.AST) -> bool:
        names = [n.id for n in ast.walk(node) if isinstance(n, ast.Name)]
        calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
        return bool(names) and all(n in self.scalars or n in ("max", "min", "abs")
                                   for n in names) \
            and all(isinstance(c.func, ast.Name) for c in calls)

    def _name(self, node: ast.expr, prefix: str) -> ast.Name:
        code = ast.unparse(node)
        for test, branch in reversed(self.guards):  # evaluated only where the branch runs
            code = f"({code} if {test} else 0.0)" if branch else f"(0.0 if {test} else {code})"
        for name, known in self.lifted.items():
            if known == code and name.startswith(prefix):
                return ast.Name(name, ast.Load())
        name = f"{prefix}{sum(n.startswith(prefix) for n in self.lifted)}"
        self.lifted[name] = code
        return ast.Name(name, ast.Load())

    def visit_IfExp(self, node):
        if not self._scalar(node.test):
            return self.generic_visit(node)
        code = ast.unparse(node.test)
        test = self._name(node.test, "b")
        branches = []
        for branch, part in ((True, node.body), (False, node.orelse)):
            self.guards.append((code, branch))  # RAdam's rectified branch: a square root of
            branches.append(self._visit_child(part))  # a negative number where it is not taken
            self.guards.pop()
        return ast.IfExp(test=test, body=branches[0], orelse=branches[1])

    def generic_visit(self, node):
        for field, value in ast.iter_fields(node):
            if isinstance(value, list):
                setattr(node, field, [self._visit_child(v) for v in value])
            elif isinstance(value, ast.AST):
                setattr(node, field, self._visit_child(value))
        return node

    def _visit_child(self, child):
        if isinstance(child, ast.expr) and not isinstance(child, ast.Name) \
                and self._scalar(child) or (isinstance(child, ast.Name)
                                            and child.id in self.scalars):
            return self._name(child, "s")
        if isinstance(child, ast.keyword) and self._scalar(child.value):
            return ast.keyword(child.arg, self._name(child.value, "s"))
        return self.visit(child)

    def visit_Call(self, node):
        node = self.generic_visit(node)
        return _tensor_scalars(node)


def _tensor_scalars(node: ast.Call) -> ast.Call:
    """``x.add_(y, alpha=s)`` as ``x.add_(torch.mul(y, s))``, ``x.addcdiv_(a, b, value=s)`` as
    ``x.add_(torch.div(torch.mul(a, s), b))`` (torch's order, value * a / b), ``addcmul_`` as
    ``x.add_(torch.mul(torch.mul(a, s), b))``, when ``s`` is a lifted tensor."""
    keyword = {k.arg: k.value for k in node.keywords}
    scale = keyword.get("alpha", keyword.get("value"))
    if not isinstance(scale, ast.Name) or not isinstance(node.func, ast.Attribute):
        return node
    method = node.func.attr
    torch_function = isinstance(node.func.value, ast.Name) and node.func.value.id == "torch"
    args = node.args[1:] if torch_function else node.args
    base = node.args[:1] if torch_function else []

    def call(f, *a):
        return ast.Call(ast.Attribute(ast.Name("torch", ast.Load()), f, ast.Load()), list(a), [])

    rest = [k for k in node.keywords if k.arg not in ("alpha", "value")]
    if method.rstrip("_") in ("add", "sub") and len(args) == 1:
        new = [call("mul", args[0], scale)]
    elif method.rstrip("_") in ("addcmul", "addcdiv") and len(args) == 2:
        inner = call("mul", args[0], scale)
        new = [call("mul" if method.startswith("addcmul") else "div", inner, args[1])]
        method = "add_" if method.endswith("_") else "add"
    else:
        return node
    return ast.Call(ast.Attribute(node.func.value, method, ast.Load()), [*base, *new], rest)


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
    scalars = {n for n in read if n not in assigned and n not in _GLOBAL}
    lifted: dict[str, str] = {}
    lift = _Lift(scalars, lifted)
    for k, line in enumerate(body):
        code, comment = _split_comment(line)
        tree = lift.visit(ast.parse(code.strip()))
        body[k] = "    " + ast.unparse(tree) + comment
    args = ", ".join(f"{n}_" for n, _ in reads)
    star = ", *, " + ", ".join(lifted) if lifted else ""
    out = [f"def _update({args}{star}):",
           '    """One tensor\'s update (one compiled kernel); results written into the '
           'arguments."""',
           *([f"    # {'; '.join(f'{n} = {code}' for n, code in lifted.items())}"]
             if lifted else []),
           *(f"    {n} = {n}_" for n, _ in reads), *body,
           *(f"    {n}_.copy_({n})" for n, _ in reads if n != "grad")]
    return "\n".join(out) + "\n", [whole for _, whole in reads], lifted


def compiled_step(source: str, rule: Rule, cfg: Config, path: str) -> str:
    """``source`` (a class module with an in-place ``_step`` loop) with the loop's body made
    the compiled kernel ``_update`` and the loop calling it once per tensor."""
    why = refusal(rule, cfg, path)
    if why is not None:
        raise SpecError(f"{rule.name} has no compiled path: {why}")
    head, loop = source.split(_LOOP, 1)
    loop, rest = (loop.split("\n\n\n", 1) + [""])[:2]
    kernel, lists, lifted = _kernel(loop.rstrip("\n").split("\n"))
    call = ", ".join(f"_flat({whole}[i])" for whole in lists)
    numbers = {n: code for n, code in lifted.items() if n.startswith("s")}
    keywords = "".join(f", {n}={code}" for n, code in lifted.items() if n.startswith("b"))
    made = ("        dtype = params[i].dtype\n        if dtype not in scalars:\n"
            "            scalars[dtype] = {" + ", ".join(
                f'"{n}": torch.tensor({code}, dtype=dtype)' for n, code in numbers.items())
            + "}\n")
    at = head.rindex("\n\n@torch.no_grad()")
    head = (head[:at] + _FLAT + "\n\n" + kernel
            + "\n\n#: the kernel, compiled at its first call (once per dtype; sizes are symbolic)\n"
            "_compiled_update = torch.compile(_update, dynamic=True, fullgraph=True)\n"
            + head[at:])
    return (head + "    scalars = {}  # dtype -> the kernel's numbers as 0-d tensors of it\n"
            + _LOOP + made
            + f"        _compiled_update({call}, **scalars[dtype]{keywords})\n"
            + ("\n\n" + rest if rest else ""))


__all__ = ["compiled_step", "refusal"]
