"""The course's chapters for clipping, weight decay, the conventions and the behaviour claims
(issues 14 and 15): each is a topic placed where a course puts it, and each carries content
generated when the course is exported, checked here against values computed independently
(fractions by hand-written recurrences, the clipped gradient by arithmetic), with mutations:
a wrong clipping form must show as a difference, a claim added to the registry must appear
as a section with its own numbers, a failing claim must say FAILS."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest

from optsym.export import all_topics, find
from optsym.export.context import Context
from optsym.export.course import teaching_parts


def _ctx(tmp_path: Path, *keys: str) -> Context:
    return Context(tmp_path, frozenset(keys))


def test_chapters_are_topics_placed_in_teaching_order():
    parts = {label: [t.key for t in chosen] for label, _, chosen in
             teaching_parts(all_topics())}
    basics, adaptive = parts["basics"], parts["adaptive"]
    assert basics[basics.index("rule:sgd") + 1] == "chapter:clipping"
    assert adaptive[-3:] == ["rule:adamw", "chapter:weight-decay", "chapter:conventions"]
    assert parts["behaviour"] == ["chapter:claims"]
    assert "chapter" not in parts  # every chapter is placed in a teaching part
    assert find("clipping").key == "chapter:clipping"
    assert find("chapter:claims").label == "ch:chapter:claims"


# ---- clipping ----------------------------------------------------------------------------------
def test_clipping_chapter_has_both_kinds_proofs_properties_and_the_exact_example(tmp_path):
    from optsym.export.clipping import clipping_chapter

    text = clipping_chapter(find("clipping"), _ctx(tmp_path))
    assert r"\label{sec:clipping:norm}" in text and r"\label{sec:clipping:value}" in text
    # (3, 4) at c = 1: ||g|| = 5, s = 1/5, s g = (3/5, 4/5); torch's eps = 1e-6 gives
    # 3 / (5 + 10^-6) = 3000000/5000001, by arithmetic
    assert r"\|g\|_2 = 5" in text and r"\frac{1}{5}" in text
    assert r"\frac{3}{5}, \frac{4}{5}" in text
    torch = Fraction(3) / (5 + Fraction(1, 10**6))
    assert rf"\frac{{{torch.numerator}}}{{{torch.denominator}}}" in text
    # value clipping of (3/2, -1/5) at 1 is (1, -1/5)
    assert r"= \left(1, - \frac{1}{5}\right)" in text
    # the three properties of norm clipping and every verification row passed
    assert text.count(r"\subsection{") == 3
    assert "differs by" not in text and r"\textbf{fail}" not in text
    assert text.count("torch-parity") >= 4


def test_a_wrong_clipping_form_shows_its_difference(tmp_path, monkeypatch):
    """The mutation: torch's order with 2*eps instead of eps is not the textbook form, and
    the chapter prints the difference instead of a method."""
    from optsym import clipping
    from optsym.export import clipping as chapter
    from optsym.spec import Assign

    real = clipping.prove_clip
    wrong = tuple(Assign(e.target, e.expr.xreplace({clipping.eps: 2 * clipping.eps}), e.note)
                  for e in clipping.implementation("norm"))
    monkeypatch.setattr(clipping, "prove_clip", lambda kind: real(kind, form=wrong))
    monkeypatch.setattr(clipping, "derivations", lambda: [])
    monkeypatch.setattr(clipping, "verify_clip", lambda kind, t, steps: {
        "results": {}, "seed": 0})
    text = chapter._kind_section("norm")
    assert "differs by" in text


# ---- weight decay ------------------------------------------------------------------------------
def _sgd(theta0, g, lr, wd, mu, steps, coupled):
    """SGD with momentum (dampening 0) by hand: coupled L2 or decoupled decay."""
    theta, buf, out = Fraction(theta0), None, []
    for _ in range(steps):
        grad = g + (wd * theta if coupled else 0)
        if not coupled:
            theta *= 1 - lr * wd
        buf = grad if buf is None else mu * buf + grad
        theta -= lr * buf
        out.append(theta)
    return out


def test_weight_decay_chapter_matches_a_hand_recurrence(tmp_path):
    from optsym.export.weight_decay import weight_decay_chapter

    text = weight_decay_chapter(find("weight-decay"), _ctx(tmp_path, "rule:adamw"))
    args = (1, Fraction(1, 2), Fraction(1, 10), Fraction(1, 10), Fraction(9, 10), 3)
    coupled, decoupled = _sgd(*args, coupled=True), _sgd(*args, coupled=False)
    assert coupled[0] == decoupled[0] and coupled[1] != decoupled[1]
    for c, d in zip(coupled, decoupled):
        assert f"{c.numerator} / {c.denominator}" in text
        assert f"{d.numerator} / {d.denominator}" in text
    # the difference at step 2, by hand: -lr * mu * lambda * theta_0
    assert r"differ at step $2$ by \[ - \eta \mu \theta_{0} \lambda \]" in text
    # without momentum the two are one method (proved by induction)
    assert "by induction the two forms give the same parameters at every step" in text
    assert text.count(r"\section{") == 3 and r"Chapter~\ref{ch:rule:adamw}" in text


# ---- conventions -------------------------------------------------------------------------------
def _nesterov_parting(steps: int) -> tuple[int, Fraction, Fraction]:
    """torch's Nesterov (mapped to the look-ahead point) against Sutskever's, by hand, on
    f = theta^2/2 from 1, momentum 1/2, lr 1/10 dropping tenfold every 3 steps."""
    mu, theta, buf, look, v = Fraction(1, 2), Fraction(1), None, Fraction(1), Fraction(0)
    for t in range(1, steps + 1):
        lr = Fraction(1, 10) * Fraction(1, 10) ** ((t - 1) // 3)
        buf = theta if buf is None else mu * buf + theta
        theta -= lr * (theta + mu * buf)
        v = mu * v - lr * (look + mu * v)
        look += v
        if theta + lr * mu * buf != look:
            return t, theta + lr * mu * buf, look
    raise AssertionError("never part")


def test_conventions_chapter_shows_the_induction_and_where_it_needs_a_constant_lr(tmp_path):
    from optsym.export.conventions import conventions_chapter

    text = conventions_chapter(find("conventions"), _ctx(tmp_path))
    assert r"\label{sec:conventions:worked}" in text
    assert r"\eta_{t-1} = \eta_t" in text and "with a constant learning rate" in text
    step, a, b = _nesterov_parting(12)
    assert f"part at step ${step}$" in text
    assert f"{a.numerator} / {a.denominator}" in text
    assert f"{b.numerator} / {b.denominator}" in text
    from optsym import conventions

    for family in conventions.names():  # a table per family
        assert rf"\label{{tab:conventions:{family}}}" in text
    assert r"$t \ge 2$" in text  # the induction step is a case of its own


# ---- claims ------------------------------------------------------------------------------------
def _fake(name: str, holds: bool):
    from optsym.dynamics.claim import Claim

    def run():
        return Claim(name, "a larger lr oscillates at lr 0.5", "f = x^2, 10 steps",
                     {"final": 0.123456789, "runs": [{"lr": 0.1, "loss": 1e-7},
                                                     {"lr": 0.5, "loss": 2.5}],
                      "rules": {"gd": {"moved": 3.0}, "adam": {"moved": 0.25}}},
                     holds, ["holds only while lr*L < 2", "see `optsym plot sweep --best`"])
    return run


def test_claims_chapter_iterates_the_registry(tmp_path, monkeypatch):
    """A claim added to the registry becomes a section with its numbers (typeset, not
    pasted), its regime note and its verdict; the real newton-saddle claim keeps its
    figure at print size."""
    from optsym.dynamics import claims
    from optsym.export.claims import claims_chapter

    registry = {"newton-saddle": claims.CLAIMS["newton-saddle"],
                "lr-oscillates": _fake("lr-oscillates", True),
                "reversed": _fake("reversed", False)}
    monkeypatch.setattr(claims, "CLAIMS", registry)
    text = claims_chapter(find("claims"), _ctx(tmp_path))
    for name in registry:
        assert rf"\label{{sec:claim:{name}}}" in text
    assert r"\section{Lr oscillates}" in text
    assert "$0.1235$" in text and r"$10^{-7}$" in text and "$2.5$" in text
    assert "moved" in text and "$0.25$" in text
    assert "The check FAILS" in text and text.count("The check holds.") == 2
    assert r"\item holds only while" in text
    assert r"\texttt{optsym plot sweep -{}-best}" in text  # a command, its hyphens kept
    assert "The 3 claims took" in text
    assert re.search(r"\\includegraphics\[width=[\d.]+in\]\{figures/claim-newton-saddle.pdf\}",
                     text)
    assert (tmp_path / "figures" / "claim-newton-saddle.pdf").exists()


@pytest.mark.parametrize("value,shown", [(0.000123456, "$0.0001235$"),
                                         (1.5e-8, r"$1.5 \cdot 10^{-8}$"), (3, "$3$"),
                                         (None, "--"), (True, "yes"), ([1.0, 2.5], "$(1, 2.5)$")])
def test_measured_values_are_typeset(value, shown):
    from optsym.export.claims import value_latex

    assert value_latex(value) == shown
