"""Figures for the course, drawn headless with matplotlib (Agg, mathtext; never ``usetex``).

One module per kind of figure; each has a ``*_data`` function that computes what is drawn (so
tests check the numbers, not pixels) and a ``*_figure`` function that writes a ``.png``,
``.pdf`` or ``.svg`` file and returns its path:

* :mod:`optsym.figures.race`: optimizer trajectories from one start on a 2-D objective (the
  "optimizer race"), every iterate from optsym's generated code
  (:func:`optsym.trajectory.run_generated`);
* :mod:`optsym.figures.schedules`: learning rates over the epochs, from each schedule's
  generated closed form;
* :mod:`optsym.figures.stability`: heavy-ball momentum's stable region in :math:`(\\eta, \\beta)`
  with the optimum marked, from the ``heavy-ball`` derivation's symbolic conditions;
* :mod:`optsym.figures.convergence`: gradient descent (and heavy ball) on a quadratic, run as
  generated code, against the rates the derivations derive.
"""

from __future__ import annotations

from optsym.figures._common import FORMATS, check_path

KINDS = ("race", "schedules", "stability", "convergence")

__all__ = ["FORMATS", "KINDS", "check_path"]
