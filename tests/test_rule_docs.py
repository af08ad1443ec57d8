"""Each rule file's docstring equations are the spec's, not a hand copy that can drift."""

from __future__ import annotations

import pytest

from optsym import rules
from optsym.rules import docmath


def test_every_rule_file_shows_its_specs_equations():
    assert docmath.stale() == []


@pytest.mark.parametrize("name", rules.names())
def test_each_builtin_rule_has_a_block_that_reads_its_textbook_lines(name):
    rule = rules.get(name)
    block = docmath.equations(rule)
    assert block.count(r"\gets") == len(rule.textbook(docmath.richest_config(rule)))


def test_a_stale_block_is_found_and_rewritten():
    adam = rules.get("adam")
    marker = docmath.MARKER.format(name="adam")
    text = f'r"""Adam.\n\n{marker}\n\n.. math::\n\n    \\begin{{align*}}\n    m &\\gets g\n' \
           '    \\end{align*}\n"""\n'
    fresh = docmath.refresh(text, {"adam": adam})
    assert fresh != text and docmath.equations(adam) in fresh
    assert docmath.refresh(fresh, {"adam": adam}) == fresh
