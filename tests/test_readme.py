"""The README's set-up commands are the ones CI runs, and its feature table names real commands."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setup_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- setup -->\s*```(?:bash|sh)?\n(.*?)```", text, re.S)
    assert block, "README needs a set-up block after <!-- setup -->"
    return [line for line in block.group(1).splitlines() if line and not line.startswith("#")]


def test_ci_runs_exactly_the_readme_commands():
    commands = _setup_commands()
    assert len(commands) == 2
    assert commands[0].endswith("optsym verify adam")
    assert "pytest" in commands[1]
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line and not line.startswith(("#", "echo", "set ", "cd ", "bash .ci/latex"))]
    assert ci == commands


def test_feature_table_commands_are_real_subcommands(run_cli):
    text = (ROOT / "README.md").read_text()
    table = text.split("## What works")[1].split("\n## ")[0]
    subcommands = set(re.findall(r"`optsym ([\w-]+)", table))
    assert subcommands >= {"verify", "codegen", "list", "schedule", "clip", "weight-decay"}
    for sub in subcommands:
        assert run_cli(sub, "--help").exit_code == 0, sub
