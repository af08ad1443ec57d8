"""Every claim with a figure draws it from what the claim measured (``optsym claims NAME -o``);
a claim without one says so in one line.  The figure's numbers are the claim's own: this
checks that the figure exists and is a real image, not what it shows (looked at by hand)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from optsym.cli import cli
from optsym.dynamics import claims
from optsym.dynamics.claim_figures import FIGURES


def test_every_figure_belongs_to_a_claim():
    assert set(FIGURES) <= set(claims.names())


@pytest.mark.parametrize("name", ["newton-saddle", "resume-state", "momentum-regime",
                                  "weight-decay-retention", "adagrad-rare-features",
                                  "adam-early-updates", "saddle-escape",
                                  "rosenbrock-adam-slowest"])
def test_a_claims_figure_is_written(tmp_path, name):
    out = tmp_path / f"{name}.png"
    r = CliRunner().invoke(cli, ["--quiet", "claims", name, "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 20_000


def test_figure_needs_one_named_claim(tmp_path):
    """``-o`` without a claim's name is a one-line usage error; nothing is written."""
    out = tmp_path / "x.png"
    r = CliRunner().invoke(cli, ["claims", "-o", str(out)])
    assert r.exit_code == 2 and "saddle-escape" in r.output and "Traceback" not in r.output
    assert not out.exists()


def test_a_claim_without_a_figure_says_so(tmp_path, monkeypatch):
    """Every claim has a figure now, so one is taken out of FIGURES: the command refuses in one
    line before measuring anything and writes no file."""
    from optsym.dynamics import claim_figures

    monkeypatch.delitem(claim_figures.FIGURES, "saddle-escape")
    monkeypatch.setattr(claims, "run", lambda name=None: pytest.fail("measured anyway"))
    out = tmp_path / "x.png"
    r = CliRunner().invoke(cli, ["claims", "saddle-escape", "-o", str(out)])
    assert r.exit_code == 2 and "noise-floor" in r.output and "Traceback" not in r.output
    assert not out.exists()
