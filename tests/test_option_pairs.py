"""The one reading of ``--OPTION VALUE`` arguments that every command shares."""

from __future__ import annotations

import pytest

from optsym.params import option_pairs
from optsym.spec import SpecError

KNOWN, FLAGS = {"lr", "amsgrad", "eta_max"}, {"amsgrad"}


def _pairs(*args):
    return option_pairs(args, KNOWN, FLAGS, lambda flag: f"unknown {flag}")


def test_values_flags_and_equals():
    assert _pairs("--lr", "0.1", "--amsgrad", "--eta-max=1/2") == [
        ("lr", "--lr", "0.1"), ("amsgrad", "--amsgrad", None), ("eta_max", "--eta-max", "1/2")]
    assert _pairs("--amsgrad", "false", "--lr", "-1") == [
        ("amsgrad", "--amsgrad", "false"), ("lr", "--lr", "-1")]  # a negative value is a value
    assert _pairs("--amsgrad=on") == [("amsgrad", "--amsgrad", "on")]


@pytest.mark.parametrize("args, message", [
    (("--lr",), "option --lr needs a value"),
    (("--lrr", "1"), "unknown --lrr"),
    (("lr", "1"), "unexpected argument 'lr'"),
    (("--",), "unexpected argument '--'"),
    (("--amsgrad", "maybe"), "unexpected argument 'maybe'"),
])
def test_refused(args, message):
    with pytest.raises(SpecError, match=message):
        _pairs(*args)
