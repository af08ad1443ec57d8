"""The installed package holds every subpackage: pyproject.toml lists them by hand (optsym.cli
and optsym.derivations come from other folders), so a new one must be added there, or a
non-editable ``pip install .`` leaves it out."""

from __future__ import annotations

import pathlib
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _listed() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(config["tool"]["setuptools"]["packages"])


def test_every_subpackage_is_listed_in_pyproject():
    found = {"optsym"} | {"optsym." + ".".join(d.relative_to(ROOT / "optsym").parts)
                          for d in (ROOT / "optsym").rglob("*") if (d / "__init__.py").is_file()
                          and "__pycache__" not in d.parts}
    for name, folder in (("optsym.cli", "cli"), ("optsym.derivations", "derivations")):
        found |= {name + "".join("." + p for p in d.relative_to(ROOT / folder).parts)
                  for d in [ROOT / folder, *(ROOT / folder).rglob("*")]
                  if (d / "__init__.py").is_file() and "__pycache__" not in d.parts}
    missing = found - _listed()
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"
