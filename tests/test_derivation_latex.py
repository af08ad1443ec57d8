"""Every derivation's LaTeX fragment compiles with a real LaTeX engine (pdflatex)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from optsym import derivations
from optsym.derivation import document

pytestmark = pytest.mark.skipif(shutil.which("pdflatex") is None,
                                reason="pdflatex is not installed (CI installs it: .ci/latex)")


@pytest.mark.parametrize("name", derivations.names())
def test_latex_fragment_compiles(name, tmp_path):
    tex = tmp_path / "d.tex"
    tex.write_text(document(derivations.get(name).as_latex(), name))
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:]
    pdf = tmp_path / "d.pdf"
    assert pdf.exists() and pdf.stat().st_size > 1000
    log = (tmp_path / "d.log").read_text(errors="replace")
    assert "Undefined control sequence" not in log and "Missing $ inserted" not in log


def test_jupyter_repr_is_one_math_block_that_compiles(tmp_path):
    """``_repr_latex_`` (what Jupyter shows) is a single display-math block, valid LaTeX."""
    blocks = [derivations.get(n)._repr_latex_() for n in derivations.names()]
    for block in blocks:
        assert block.startswith("$$\\begin{aligned}") and block.endswith("\\end{aligned}$$")
        assert block.count("$$") == 2
    tex = tmp_path / "r.tex"
    tex.write_text(document("\n\n".join(blocks), "repr"))
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:]
