"""The printed validation conditions agree with the spec's predicates on every float."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from optsym.spec import CHECK_CODE


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_check_code_is_the_negated_predicate(x):
    for predicate, code in CHECK_CODE.items():
        invalid = eval(code.format(x="x"), {}, {"x": x})  # our own fixed templates, not user text
        assert invalid == (not predicate(x)), (code, x)
