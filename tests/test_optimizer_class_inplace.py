"""The in-place rewrite of a generated loop (optsym.codegen.inplace), by hand-rewritten lines."""

from optsym.codegen.inplace import inplace_loop


def _rewrite(line, owned=("x",), tensors=("x", "g", "y")):
    return inplace_loop(["        " + line], set(owned), set(tensors))[0].strip()


def test_a_state_without_an_in_place_method_is_written_with_out():
    """torch.maximum has no ``maximum_``: written into the state with ``out=``, its first
    operand an owned chain, as torch's Adamax (exp_inf.mul_(beta2)) and AMSGrad do."""
    assert _rewrite("x = torch.maximum(torch.mul(x, b), torch.add(torch.abs(g), e))") == \
        "x = torch.maximum(x.mul_(b), torch.abs(g).add_(e), out=x)"
    assert _rewrite("x = torch.maximum(x, y)") == "x = torch.maximum(x, y, out=x)"


def test_out_is_not_used_where_it_would_change_a_value():
    """The target read twice (the second read would see it written), a target the step does
    not own (the gradient), or an aliased one: left out of place."""
    line = "x = torch.maximum(torch.mul(x, b), x)"
    assert _rewrite(line) == line
    assert _rewrite("g = torch.maximum(g, y)") == "g = torch.maximum(g, y)"
    aliased = inplace_loop(["        y = x", "        x = torch.maximum(x, g)"], {"x"},
                           {"x", "y", "g"})
    assert aliased[1].strip() == "x = torch.maximum(x, g)"


def test_a_temporary_of_the_parameters_shape_takes_tensor_operands_in_place():
    """``acc_delta.add(eps).sqrt_().div_(std).mul_(grad)`` as torch's Adadelta writes it: the
    temporary starts from a tensor of the parameter's shape, so no operand can broadcast it
    larger; from a smaller tensor (``r``) the division stays out of place."""
    line = "d = torch.mul(torch.div(torch.sqrt(torch.add(a, e)), s), g)"
    assert inplace_loop(["        " + line], set(), {"a", "s", "g", "d"},
                        frozenset({"a", "g"}))[0].strip() == \
        "d = torch.add(a, e).sqrt_().div_(s).mul_(g)"
    assert inplace_loop(["        " + line.replace("(a, e)", "(r, e)")], set(),
                        {"r", "s", "g", "d"}, frozenset({"g"}))[0].strip() == \
        "d = torch.mul(torch.div(torch.add(r, e).sqrt_(), s), g)"


def test_operands_are_fresh_chains_and_a_temporary_inherits_the_shape():
    """RAdam's rectified update as torch's single-tensor code allocates it: each operand's
    temporaries written in place; ``b = m / c`` has the parameter's shape (elementwise from the
    state ``m``), a norm of it does not."""
    lines = ["        b = torch.div(m, c)",
             "        x = torch.add(x, torch.mul(torch.mul(b, lr), "
             "torch.add(torch.sqrt(v), e)), alpha=-1)"]
    out = inplace_loop(lines, {"x", "m", "v"}, {"x", "m", "v", "b"}, frozenset({"x", "m", "v"}))
    assert out[1].strip() == \
        "x = x.add_(torch.mul(b, lr).mul_(torch.sqrt(v).add_(e)), alpha=-1)"
    normed = [lines[0].replace("torch.div(m, c)", "torch.linalg.norm(m)"), lines[1]]
    out = inplace_loop(normed, {"x", "m", "v"}, {"x", "m", "v", "b"}, frozenset({"x", "m", "v"}))
    assert out[1].strip() == \
        "x = x.add_(torch.mul(torch.mul(b, lr), torch.sqrt(v).add_(e)), alpha=-1)"
