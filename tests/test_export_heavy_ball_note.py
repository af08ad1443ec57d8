"""The heavy-ball chapter says its tuning holds for quadratics, with worst cases computed two
independent ways: the scalar recursion by hand here, and PEPit's SDP."""

from __future__ import annotations

import importlib.util
import math

import pytest

from optsym.export import heavy_ball_note as hb


def test_tuning_at_kappa_25_by_hand():
    eta, beta = hb.tuning(25)
    assert math.isclose(eta, 4 / (1 + 1 / 5) ** 2) and math.isclose(beta, (4 / 6) ** 2)


def test_quadratic_worst_case_first_step_by_hand():
    # x_1 = (1 - eta lambda) x_0, worst at lambda = L = 1: (1 - 25/9)^2 = (16/9)^2
    assert math.isclose(hb.quadratic_worst(1), (16 / 9) ** 2, rel_tol=1e-12)
    assert hb.quadratic_worst(10) < 0.1 < 1 < hb.RECORDED[10]


@pytest.mark.skipif(importlib.util.find_spec("PEPit") is None, reason="PEPit not installed")
def test_recorded_pepit_values_recompute():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n in hb.STEPS:  # every recorded value the chapter may print
            assert math.isclose(hb.pepit_worst(n), hb.RECORDED[n], rel_tol=2e-3), n


def test_note_states_the_class_and_the_numbers(monkeypatch):
    monkeypatch.setattr(hb, "worst_cases", lambda: ({1: 3.16, 2: 3.709, 5: 1.511, 10: 0.09386},
                                                    dict(hb.RECORDED), False))
    text = hb.note()
    assert "derived for quadratics" in text and r"$\kappa = 25$" in text
    assert "25.18" in text and "0.09386" in text and "recorded with PEPit" in text


def test_heavy_ball_chapter_has_the_note():
    from optsym.export.context import Context
    from optsym.export.derivation import derivation_chapter
    from optsym.export.topics import find

    text = derivation_chapter(find("heavy-ball"), Context(__import__("pathlib").Path(".")),
                              figures=False)
    assert r"\section*{Only for quadratics}" in text
