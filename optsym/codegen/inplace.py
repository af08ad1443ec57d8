r"""Rewrite a generated torch step's loop body to update state and parameters in place.

The ``torch-parity`` printer writes every operation out of place (``x = torch.lerp(x, g, w)``),
which is easy to read and to check, but allocates a new tensor per operation.  torch's own
optimizers write ``x.lerp_(g, w)``.  On CPU the in-place and out-of-place forms of an operation
run the same kernel, so the rewrite changes memory traffic, never bits.

Two rewrites, each on one line ``target = expr`` of the loop body:

* **owned chains**: when ``target`` is a tensor the step owns (``param`` or a tensor state) and
  ``expr`` is a chain of operations whose leftmost argument is ``target`` itself, seen once::

      exp_avg_sq = torch.addcmul(torch.mul(exp_avg_sq, beta2), grad, grad, value=c)
      exp_avg_sq = exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=c)

  The shape of every link is the target's (the result is stored back as the target, and
  broadcasting only grows shapes), so no link can fail where the out-of-place form succeeds.
* **out=**: ``target = torch.maximum(a, b)`` (no in-place method) with ``target`` owned and
  seen at most once becomes ``torch.maximum(a', b', out=target)``, ``a'`` rewritten as an owned
  chain (``torch.maximum(exp_inf.mul_(beta2), ..., out=exp_inf)``): the second operand cannot
  read the target, so writing it early changes nothing;
* **fresh temporaries**: a link whose leftmost argument is a fresh out-of-place result and whose
  other arguments hold no tensor becomes in place on that temporary
  (``torch.add(torch.sqrt(v), eps)`` becomes ``torch.sqrt(v).add_(eps)``).

A name bound to another tensor name (``direction = momentum_buffer``) is an alias: from then on
neither is rewritten, since writing one in place would change the other.  Lines that fit neither
pattern are left as they are; the caller copies a result that is a new tensor back into its state.
"""

from __future__ import annotations

import ast
import io
import tokenize

#: torch functions with an in-place method of the same arguments (``torch.f(x, ...)`` and
#: ``x.f_(...)``) that return a new tensor of the broadcast shape and dtype
INPLACE = frozenset({"add", "sub", "mul", "div", "lerp", "addcmul", "addcdiv", "sqrt", "rsqrt",
                     "neg", "abs", "sign", "clamp", "clamp_min", "clamp_max", "pow", "exp",
                     "square", "reciprocal"})
#: elementwise torch functions without an in-place method, written into a state with ``out=``
#: (``torch.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)``, as torch's Adam does)
OUT = frozenset({"maximum", "minimum"})


def torch_call(node: ast.AST, names: frozenset[str]) -> str | None:
    """``f`` when ``node`` is ``torch.f(first, ...)`` (no ``*args``) with ``f`` in ``names``."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "torch"
            and node.func.attr in names and node.args
            and not any(isinstance(a, ast.Starred) for a in node.args)):
        return node.func.attr
    return None


def _torch_op(node: ast.AST) -> str | None:
    """``f`` when ``node`` is ``torch.f(first, ...)`` with ``f`` in :data:`INPLACE`."""
    return torch_call(node, INPLACE)


def _method(op: str, head: ast.expr, call: ast.Call) -> ast.Call:
    """``head.op_(rest...)`` from ``torch.op(first, rest...)``."""
    return ast.Call(func=ast.Attribute(value=head, attr=op + "_", ctx=ast.Load()),
                    args=list(call.args[1:]), keywords=list(call.keywords))


def _names(node: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(node) if isinstance(n, ast.Name)]


def _scalar_only(call: ast.Call, tensors: set[str]) -> bool:
    """True when no argument after the first holds a tensor (a name of ``tensors`` or a call
    into torch)."""
    rest = [*call.args[1:], *(k.value for k in call.keywords)]
    for arg in rest:
        for n in ast.walk(arg):
            if isinstance(n, ast.Name) and (n.id in tensors or n.id == "torch"):
                return False
    return True


def _root(node: ast.expr) -> str | None:
    """The name an elementwise chain starts from (``acc_delta`` in
    ``torch.add(acc_delta, eps).sqrt_()``); None through any other operation (a norm)."""
    while isinstance(node, ast.Call):
        if _torch_op(node) is not None:
            node = node.args[0]
        elif isinstance(node.func, ast.Attribute) and node.func.attr.endswith("_") \
                and node.func.attr[:-1] in INPLACE:
            node = node.func.value
        else:
            return None
    return node.id if isinstance(node, ast.Name) else None


def _operands(call: ast.Call, tensors: set[str], full: frozenset[str]) -> ast.Call:
    """``call`` with its operands after the first rewritten as fresh chains (a temporary of an
    operand is no one else's, so writing it in place changes no other value)."""
    args = [_chain(a, None, tensors, full)[0] for a in call.args]
    keywords = [ast.keyword(k.arg, _chain(k.value, None, tensors, full)[0])
                for k in call.keywords]
    return ast.Call(func=call.func, args=args, keywords=keywords)


def _chain(node: ast.expr, target: str | None, tensors: set[str],
           full: frozenset[str] = frozenset()) -> tuple[ast.expr, bool]:
    """``node`` rewritten; the flag says whether its value is ``target`` (owned) or a fresh
    temporary that later links may write into.  ``full``: the names whose tensors have the
    parameter's shape; a temporary computed elementwise from one of them has that shape too,
    so it may take tensor operands in place (``acc_delta.add(eps).sqrt_().div_(std)``)."""
    op = _torch_op(node)
    if op is None:
        return node, False
    first = node.args[0]
    rest = _operands(ast.Call(func=node.func, args=node.args[1:], keywords=node.keywords),
                     tensors, full)
    if isinstance(first, ast.Name) and target is not None and first.id == target:
        node = ast.Call(func=node.func, args=[first, *rest.args], keywords=rest.keywords)
        return _method(op, first, node), True
    head, writable = _chain(first, target, tensors, full)
    node = ast.Call(func=node.func, args=[head, *rest.args], keywords=rest.keywords)
    if writable and (_is_owned(head, target) or _scalar_only(node, tensors)
                     or _root(head) in full):
        return _method(op, head, node), True
    return node, True  # an out-of-place result is a fresh temporary


def _is_owned(node: ast.expr, target: str | None) -> bool:
    """True when ``node`` is an in-place chain on ``target`` (``target.f_(...).g_(...)``)."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr.endswith("_"):
        node = node.func.value
    return isinstance(node, ast.Name) and node.id == target


def _out_call(node: ast.expr) -> bool:
    """True when ``node`` is ``torch.f(a, b)`` with ``f`` in :data:`OUT` and no ``out=``."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "torch"
            and node.func.attr in OUT and len(node.args) == 2
            and not any(k.arg in ("out", None) for k in node.keywords)
            and not any(isinstance(a, ast.Starred) for a in node.args))


def _rewrite(expr: ast.expr, target: str, owned: bool, tensors: set[str],
             full: frozenset[str] = frozenset()) -> ast.expr:
    """``expr`` with its chains in place, where that keeps its value."""
    if isinstance(expr, ast.IfExp):  # torch's step-1 cases: each branch on its own
        return ast.IfExp(test=expr.test, body=_rewrite(expr.body, target, owned, tensors, full),
                         orelse=_rewrite(expr.orelse, target, owned, tensors, full))
    uses = _names(expr).count(target)
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) \
            and expr.func.attr.endswith("_") and _torch_op(expr) is None:
        return _operands(expr, tensors, full)  # param.add_(torch.mul(u, c).mul_(r), ...)
    if owned and uses <= 1 and _out_call(expr):  # torch.maximum(x.mul_(b), y, out=x)
        first = _rewrite(expr.args[0], target, True, tensors, full)
        second, _ = _chain(expr.args[1], None, tensors, full)
        return ast.Call(func=expr.func, args=[first, second],
                        keywords=[*expr.keywords, ast.keyword("out", ast.Name(target))])
    new, _ = _chain(expr, target if owned and uses == 1 else None, tensors, full)
    return new


def _aliases(expr: ast.expr) -> list[str]:
    """The names ``expr`` may evaluate to as they are (``x``, ``(a if c else b)``)."""
    if isinstance(expr, ast.Name):
        return [expr.id]
    if isinstance(expr, ast.IfExp):
        return _aliases(expr.body) + _aliases(expr.orelse)
    return []


def _split_comment(line: str) -> tuple[str, str]:
    """The code of one line and its trailing comment (with the two spaces before it)."""
    for tok in tokenize.generate_tokens(io.StringIO(line).readline):
        if tok.type == tokenize.COMMENT:
            return line[:tok.start[1]].rstrip(), "  " + tok.string
    return line.rstrip(), ""


def inplace_loop(lines: list[str], owned: set[str], tensors: set[str],
                 full: frozenset[str] = frozenset()) -> list[str]:
    """The loop body ``lines`` (one statement a line) with in-place chains.

    ``owned``: names the step may write in place (``param``, tensor states); ``tensors``: every
    name that may hold a tensor (owned names, ``grad`` and the loop's temporaries).
    """
    aliased: set[str] = set()
    out = []
    for line in lines:
        code, comment = _split_comment(line)
        indent = code[:len(code) - len(code.lstrip())]
        try:
            tree = ast.parse(code.strip())
        except SyntaxError:
            out.append(line)
            continue
        stmt = tree.body[0] if len(tree.body) == 1 else None
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)):
            out.append(line)
            continue
        target = stmt.targets[0].id
        others = [n for n in _aliases(stmt.value) if n != target and n in tensors]
        if others:
            aliased |= {target, *others}
        may_own = target in owned and target not in aliased
        value = _rewrite(stmt.value, target, may_own, tensors, frozenset(full) - aliased)
        if _root(stmt.value) in full and target not in aliased:  # bias_corrected = m / c
            full = frozenset(full) | {target}
        elif target in full and target not in owned:
            full = frozenset(full) - {target}
        if ast.dump(value) == ast.dump(stmt.value):  # unchanged: keep the printer's text
            out.append(line)
        else:
            out.append(f"{indent}{target} = {ast.unparse(value)}{comment}")
    return out


__all__ = ["INPLACE", "OUT", "inplace_loop"]
