r"""Lower a generated step's per-tensor loop to torch's multi-tensor ``torch._foreach_*`` calls.

The ``--impl foreach`` step is printed as a loop over tensors, one statement a line, in the
operation order of torch's foreach path, and made in place by :mod:`optsym.codegen.inplace`.
This module turns that loop into whole-list operations, each line on its own::

    exp_avg_sq = exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    denom = torch.sqrt(exp_avg_sq).div_(bias_correction2_sqrt).add_(eps)

becomes::

    torch._foreach_mul_(exp_avg_sqs, beta2)
    torch._foreach_addcmul_(exp_avg_sqs, grads, grads, value=1 - beta2)
    denoms = torch._foreach_sqrt(exp_avg_sqs)
    torch._foreach_div_(denoms, bias_correction2_sqrt)
    torch._foreach_add_(denoms, eps)

Every tensor name ``x`` of the loop stands for the list ``xs`` of its values, one per tensor.
A call ``torch.f(x, ...)`` or ``x.f_(...)`` becomes ``torch._foreach_f(xs, ...)`` (or
``_foreach_f_``) when torch has that multi-tensor form: tensor operands become their lists,
scalars common to all tensors stay as they are, a number that differs per tensor (NAdam's
step sizes) becomes a list where torch takes one (``ScalarList``).  Like torch's own foreach
code, an operation on a fresh result whose other operands are scalars is done in place on it
(``_foreach_sqrt`` then ``_foreach_add_``).  A conditional on a scalar common to all tensors
(RAdam's rectification test) becomes an ``if`` around the lowered branches.

torch's multi-tensor operation on each tensor is the single-tensor operation (on CPU its loop
calls it), so the lowering changes no bits.  What has no multi-tensor form stays per tensor,
as in torch's own foreach implementations: a norm, ``torch.where``, ``clamp`` with two bounds,
``.item()``, a conditional on a per-tensor value.  Such a line becomes a comprehension over the
lists it reads (``[torch.linalg.norm(param) for param in params]``), marked ``# per tensor``;
the trailing in-place links of a chain whose head lowers run as a loop over its list.

Evaluation order is kept: statements are emitted in Python's order of evaluation, a named
tensor is written in place only as the head of a line's chain (evaluated first), and every
other in-place write goes to a fresh list that no earlier operand can read.
"""

from __future__ import annotations

import ast

from optsym.codegen.inplace import _aliases, _split_comment, torch_call

#: torch functions whose ``torch._foreach_<name>`` (and ``_foreach_<name>_``) forms take lists
#: in the tensor positions: unary, binary (list or scalar second operand), lerp, addcmul/addcdiv
FOREACH = frozenset({"add", "sub", "mul", "div", "lerp", "addcmul", "addcdiv", "sqrt", "rsqrt",
                     "neg", "abs", "sign", "reciprocal", "exp", "maximum", "minimum",
                     "clamp_min", "clamp_max", "pow"})
#: the positional operand of each operation that may be a list of numbers (torch's ScalarList)
_SCALAR_LIST = {**{f: 1 for f in ("add", "sub", "mul", "div", "maximum", "minimum", "clamp_min",
                                  "clamp_max", "pow")}, "lerp": 2}
#: operations whose ``value=`` may be a list of numbers, passed by position (``scalars``)
_SCALAR_LIST_VALUE = frozenset({"addcmul", "addcdiv"})


class NoForeach(Exception):
    """The expression has no multi-tensor form; the line stays per tensor."""


def _torch_function(node: ast.AST) -> str | None:
    """``f`` when ``node`` is ``torch.f(...)`` with ``f`` in :data:`FOREACH`."""
    return torch_call(node, FOREACH)


def _in_place_method(node: ast.AST) -> str | None:
    """For an in-place method call ``x.f_(...)``: ``f`` when it is in :data:`FOREACH`, else
    ``None`` (``clamp_``: done per tensor); ``""`` when ``node`` is no such call."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr.endswith("_") and not node.func.attr.startswith("_")):
        op = node.func.attr[:-1]
        return op if op in FOREACH else None
    return ""


def _ordered_names(node: ast.AST, among: dict[str, str]) -> list[str]:
    """The names of ``among`` that ``node`` reads, in the order they first appear in it."""
    out: list[str] = []
    found = [n for n in ast.walk(node) if isinstance(n, ast.Name)]
    for n in sorted(found, key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0))):
        if n.id in among and n.id not in out:
            out.append(n.id)
    return out


class Lowering:
    """The lowering of one loop body: the list each per-tensor name stands for (``lists``),
    which of those names hold tensors (``tensors``; the others hold one number per tensor) and
    the names already taken (``reserved``)."""

    def __init__(self, lists: dict[str, str], tensors: set[str], owned: set[str],
                 reserved: set[str], full: set[str] = frozenset()):
        self.lists = dict(lists)
        self.tensors = set(tensors)
        self.owned = set(owned)  # tensors the step may write in place (param, tensor states)
        #: lists (and lowered expressions) of tensors with the parameters' shapes: a fresh one
        #: may take tensor operands in place (broadcasting cannot grow it)
        self.full = {lists[n] for n in full if n in lists}
        self.aliased: set[str] = set()  # names bound to another's tensor: never written in place
        self.owned_target: str | None = None  # the line's target list, when it may be written
        self.reserved = set(reserved) | set(lists.values())
        self.written: set[str] = set()  # list variables bound to a new list by some line
        self.preferred: str | None = None  # the line's target list, while it may be bound early
        self.fresh_lists: set[str] = set()  # this line's temporaries
        self.count = 0

    def list_name(self, name: str) -> str:
        """The list that per-tensor ``name`` stands for (``exp_avg``: ``exp_avgs``)."""
        if name not in self.lists:
            listed = name + "_list" if name.endswith("s") or name + "s" in self.reserved \
                else name + "s"
            self.reserved.add(listed)
            self.lists[name] = listed
        return self.lists[name]

    def fresh(self) -> str:
        """A new temporary's name (the line's target list when it may be bound early)."""
        if self.preferred is not None:
            name, self.preferred = self.preferred, None
            return name
        while True:
            self.count += 1
            name = f"tmp{self.count}"
            if name not in self.reserved:
                self.reserved.add(name)
                return name

    def comprehension(self, node: ast.expr) -> str:
        """``[expr for a, b in zip(as, bs)]``: ``node`` once per tensor."""
        names = _ordered_names(node, self.lists)
        code = ast.unparse(node)
        if not names:
            return f"[{code} for _ in params]"
        if len(names) == 1:
            return f"[{code} for {names[0]} in {self.lists[names[0]]}]"
        return (f"[{code} for {', '.join(names)} in "
                f"zip({', '.join(self.lists[n] for n in names)})]")

    def operand(self, node: ast.expr, out: list[str]) -> tuple[str, str]:
        """``(kind, code)`` of an operand: ``list`` (tensors), ``numbers`` (one per tensor) or
        ``scalar`` (common to all tensors)."""
        names = _ordered_names(node, self.lists)
        if any(n in self.tensors for n in names):
            return "list", self.tensor(node, out, head=False)[0]
        if names:
            if isinstance(node, ast.Name):
                return "numbers", self.lists[node.id]
            return "numbers", self.comprehension(node)
        return "scalar", ast.unparse(node)

    def arguments(self, op: str, rest: list[ast.expr], keywords: list[ast.keyword],
                  out: list[str]) -> tuple[str, bool]:
        """The lowered arguments after the first (``", grads, value=1 - beta2"``), and whether
        none of them is a tensor list."""
        parts, no_tensors = [], True
        for position, arg in enumerate(rest, start=1):
            kind, code = self.operand(arg, out)
            if kind == "list":
                no_tensors = False
            elif kind == "numbers" and _SCALAR_LIST.get(op) != position:
                raise NoForeach(f"{op}: numbers per tensor at position {position}")
            parts.append(code)
        for kw in keywords:
            if kw.arg is None:
                raise NoForeach("**kwargs")
            kind, code = self.operand(kw.value, out)
            if kind == "list":
                raise NoForeach(f"{op}: a tensor as {kw.arg}=")
            if kind == "numbers":
                if not (op in _SCALAR_LIST_VALUE and kw.arg == "value" and len(rest) == 2):
                    raise NoForeach(f"{op}: numbers per tensor as {kw.arg}=")
                parts.append(code)  # the ScalarList overload takes them by position
            else:
                parts.append(f"{kw.arg}={code}")
        return "".join(f", {p}" for p in parts), no_tensors

    def bind(self, code: str, out: list[str]) -> str:
        """``code`` as a name: itself when it is one, else a fresh temporary bound to it."""
        if code.isidentifier():
            return code
        name = self.fresh()
        out.append(f"{name} = {code}")
        self.fresh_lists.add(name)
        if code in self.full:  # the name now holds this list: its shape is the list's
            self.full.add(name)
        else:
            self.full.discard(name)
        return name

    def is_fresh(self, code: str) -> bool:
        """True when ``code`` is a new list no other name holds (an out-of-place result)."""
        return not code.isidentifier() or code in self.fresh_lists

    def tensor(self, node: ast.expr, out: list[str], head: bool) -> tuple[str, bool]:
        """The lowered code of a tensor expression and whether it is a fresh list; statements
        go to ``out`` in evaluation order.  ``head``: ``node`` starts the line's chain (it is
        evaluated before anything else, so a named tensor may be written in place there)."""
        if isinstance(node, ast.Name):
            if node.id in self.tensors:
                return self.lists[node.id], False
            raise NoForeach(f"{node.id} is not a tensor")
        op = _torch_function(node)
        if op is not None:
            first, _ = self.tensor(node.args[0], out, head)
            full = first in self.full
            into = [k for k in node.keywords if k.arg == "out"]
            if into:  # torch.maximum(x.mul_(b), y, out=x): in place on x, lowered to x's list
                if not (isinstance(into[0].value, ast.Name) and head
                        and first == self.lists.get(into[0].value.id)):
                    raise NoForeach("out= another tensor")
                rest = [k for k in node.keywords if k.arg != "out"]
                args, _ = self.arguments(op, node.args[1:], rest, out)
                out.append(f"torch._foreach_{op}_({first}{args})")
                return first, False
            args, no_tensors = self.arguments(op, node.args[1:], node.keywords, out)
            if head and first == self.owned_target:  # x = torch.maximum(x, y): in place on x
                out.append(f"torch._foreach_{op}_({first}{args})")
                return first, False
            if self.is_fresh(first) and (no_tensors or full):  # torch's: in place on a temporary
                name = self.bind(first, out)
                out.append(f"torch._foreach_{op}_({name}{args})")
                return name, True
            code = f"torch._foreach_{op}({first}{args})"
            self.full |= {code} if full else set()
            return code, True
        method = _in_place_method(node)
        if method == "":
            raise NoForeach(type(node).__name__)
        code, fresh = self.tensor(node.func.value, out, head)
        if not (fresh or head):
            raise NoForeach("a named tensor written in place inside an operand")
        name = self.bind(code, out)
        if method is not None:
            extra: list[str] = []
            try:
                args, _ = self.arguments(method, node.args, node.keywords, extra)
            except NoForeach:
                pass
            else:
                out += extra
                out.append(f"torch._foreach_{method}_({name}{args})")
                return name, fresh
        out.append(self._loop(name, node))
        return name, fresh

    def _loop(self, name: str, node: ast.Call) -> str:
        """``x.f_(args)`` per tensor of the list ``name``, for a link with no multi-tensor form
        (``for elem_, sign in zip(step_sizes, signs): elem_.clamp_(...)``)."""
        element = ast.Call(func=ast.Attribute(value=ast.Name("elem_", ast.Load()),
                                              attr=node.func.attr, ctx=ast.Load()),
                           args=node.args, keywords=node.keywords)
        names = _ordered_names(element, self.lists)
        over = f"zip({', '.join([name, *(self.lists[n] for n in names)])})" if names else name
        return (f"for {', '.join(['elem_', *names])} in {over}:  # per tensor\n"
                f"    {ast.unparse(element)}")

    def assign(self, target: str, value: ast.expr) -> list[str]:
        """The statements of one line ``target = value`` of the loop."""
        listed = self.list_name(target)
        others = [n for n in _aliases(value) if n != target and n in self.tensors]
        if others:  # direction = momentum_buffer: neither may be written in place from now on
            self.aliased |= {target, *others}
        try:
            if target not in self.tensors:
                raise NoForeach("a number per tensor")
            out = self._assign(target, listed, value)
        except NoForeach:
            out = [f"{listed} = {self.comprehension(value)}  # per tensor"]
        finally:
            self.preferred = self.owned_target = None
            self.fresh_lists = set()
        if any(ln.strip().startswith(f"{listed} = ") for s in out for ln in s.split("\n")):
            self.written.add(listed)
        return out

    def _branch(self, target: str, listed: str, value: ast.expr) -> list[str]:
        """One branch of a conditional common to all tensors: lowered, or per tensor (SGD's
        first step clones each gradient, as torch's foreach SGD does)."""
        try:
            return self._assign(target, listed, value)
        except NoForeach:
            self.preferred = None
            return [f"{listed} = {self.comprehension(value)}  # per tensor"]

    def _assign(self, target: str, listed: str, value: ast.expr) -> list[str]:
        if isinstance(value, ast.IfExp) and not _ordered_names(value.test, self.lists):
            body = self._branch(target, listed, value.body)
            orelse = self._branch(target, listed, value.orelse)
            if all(ln.endswith("# per tensor") for ln in body + orelse):
                raise NoForeach("neither branch lowers")
            return [f"if {ast.unparse(value.test)}:", *_indent(body), "else:", *_indent(orelse)]
        reads = [n.id for n in ast.walk(value) if isinstance(n, ast.Name)]
        self.preferred = listed if target not in reads else None
        self.owned_target = listed if (target in self.owned and target not in self.aliased
                                       and reads.count(target) == 1) else None
        out: list[str] = []
        code, _ = self.tensor(value, out, head=True)
        self.preferred = None
        if code in self.full:
            self.full.add(listed)
        elif code != listed:
            self.full.discard(listed)
        if code != listed:
            out.append(f"{listed} = {code}")
        return out


def _element(node: ast.expr) -> ast.Subscript | None:
    """``X[i]`` (a list's element in the loop) when ``node`` is one."""
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Name) \
            and node.slice.id == "i":
        return node
    return None


class _Elements(ast.NodeTransformer):
    """Replaces each ``X[i]`` by ``name``, recording the lists ``X`` read."""

    def __init__(self, name: str, code: str):
        self.name, self.code, self.read = name, code, []

    def visit_Subscript(self, node):
        if _element(node) is not None:
            self.read.append(ast.get_source_segment(self.code, node.value))
            return ast.Name(self.name, ast.Load())
        return self.generic_visit(node)


def lower_loop(lines: list[str], tensors: set[str], owned: set[str], reserved: set[str],
               full: set[str] = frozenset({"param", "grad"})) -> list[str]:
    """The body of ``for i in range(len(params)):`` (``lines``, one statement a line) as
    whole-list statements, one indent level out.

    ``tensors``: the loop's names that hold tensors (every other name the loop assigns holds a
    number per tensor); ``owned``: those the step may write in place (``param`` and tensor
    states, as for :func:`optsym.codegen.inplace.inplace_loop`); ``reserved``: names the step
    already uses; ``full``: the names whose tensors have the parameter's shape (``param``,
    ``grad``, most states).  The loop reads element
    ``i`` of ``params``, ``grads`` and ``state[...]`` lists and writes them back
    (``params[i].copy_(param)``, ``state["exp_avg"][i] = exp_avg``); the lowering binds
    ``exp_avgs = state["exp_avg"]`` and writes a list back only where a line made a new one.
    """
    low = Lowering({}, tensors, owned, reserved)
    full = set(full)
    sources: dict[str, str] = {}  # list variable -> the list it was read from
    out: list[str] = []
    copy_back = False
    for line in lines:
        code, comment = _split_comment(line)
        stmt = ast.parse(code.strip()).body[0]
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) \
                and ast.unparse(stmt.value) == "params[i].copy_(param)":
            copy_back = low.lists.get("param") != "params" or "params" in low.written
            continue
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
            raise ValueError(f"cannot lower {code.strip()!r} to multi-tensor operations")
        target, value = stmt.targets[0], stmt.value
        if _element(target) is not None:  # a write-back: state["exp_avg"][i] = exp_avg
            whole = ast.get_source_segment(code.strip(), target.value)
            if isinstance(value, ast.Name) and value.id in low.lists:
                listed = low.lists[value.id]
                if not (sources.get(listed) == whole and listed not in low.written):
                    out.append(f"{whole} = {listed}")
            else:
                out.append(f"{whole} = {low.comprehension(value)}")
            continue
        if not isinstance(target, ast.Name):
            raise ValueError(f"cannot lower {code.strip()!r} to multi-tensor operations")
        name = target.id
        if _element(value) is not None:  # a read: exp_avg = state["exp_avg"][i]
            whole = ast.get_source_segment(code.strip(), value.value)
            if whole in ("params", "grads") and name == whole[:-1]:
                low.lists[name] = whole
                low.full |= {whole} if name in full else set()
                continue
            listed = low.list_name(name)
            low.full |= {listed} if name in full else set()
            sources[listed] = whole
            out.append(f"{listed} = {whole}")
            continue
        elements = _Elements(name, code.strip())
        value = elements.visit(value)
        if elements.read:  # mu_product = float(state["mu_product"][i])
            if len(set(elements.read)) > 1 or name in _ordered_names(value, low.lists):
                raise ValueError(f"cannot lower {code.strip()!r} to multi-tensor operations")
            listed = low.list_name(name)
            out.append(f"{listed} = [{ast.unparse(value)} for {name} in {elements.read[0]}]"
                       + comment)
            continue
        lowered = low.assign(name, value)
        if comment and lowered:
            first, *rest = lowered[0].split("\n", 1)
            joined = first + ("; " + comment.strip().lstrip("#").strip()
                              if first.endswith("# per tensor") else comment)
            lowered[0] = "\n".join([joined, *rest])
        out += lowered
    if copy_back:  # a line made new parameter tensors: copy them into the caller's
        out = ["given = params", *out,
               "for p, new in zip(given, params):\n    if p is not new:\n        p.copy_(new)"]
    return ["    " + ln.replace("\n", "\n    ") for ln in out]


def _indent(lines: list[str]) -> list[str]:
    return ["    " + ln.replace("\n", "\n    ") for ln in lines]


__all__ = ["FOREACH", "Lowering", "NoForeach", "lower_loop"]
