"""Shared fixtures: the CLI runner and a JSON helper."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from optsym.cli import cli


@pytest.fixture
def run_cli():
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return run


@pytest.fixture
def run_json(run_cli):
    def run(*args: str):
        result = run_cli(*args, "--json")
        return result.exit_code, json.loads(result.stdout)

    return run
