r"""Two statements about adaptive methods, measured with optsym's generated code and checked.

* ``adagrad-rare-features``: a frequent feature with gradient 1 at every step and a rare one
  with gradient 1 at every ``every``-th step, from 0 for ``T`` steps at the same lr.  SGD moves
  the rare feature in proportion to its frequency; AdaGrad divides each step by the root of the
  feature's own sum of squares, so after :math:`n` nonzero gradients a feature has moved

  .. math::

      \eta \sum_{j=1}^{n} \frac{1}{\sqrt{j} + \epsilon} \approx \eta H^{(1/2)}_n,
      \qquad
      \frac{\text{rare}}{\text{frequent}} = \frac{H^{(1/2)}_{T/\text{every}}}{H^{(1/2)}_T}

  (generalized harmonic numbers, from the ``adagrad-constant-gradient`` derivation), which is
  :math:`0.270` at :math:`T = 100`, every 10th step, against SGD's :math:`0.1`.
* ``adam-early-updates``: under zero-mean noise :math:`g_t \sim \mathcal N(0, 1)` (many
  independent coordinates), Adam's first update is :math:`\eta\, g_1/(|g_1| + \epsilon)`, of size
  :math:`\eta`, while once the moments have settled its root-mean-square size is about

  .. math::

      \eta \sqrt{\frac{1 - \beta_1}{1 + \beta_1}} \quad (0.229\,\eta \text{ at } \beta_1 = 0.9),

  the spread of an exponential average of white noise over the noise's scale.  So Adam's
  largest updates come first, about four times the steady size; a linear warmup of the lr over
  ``W`` steps keeps them near the steady size.  With a strong mean gradient (signal rather than
  noise) the steady size is near :math:`\eta` too and there is no such excess: the statement
  holds in the noise-dominated regime.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from optsym.dynamics.claim import Claim


# ---- AdaGrad on a rare feature -----------------------------------------------------------------
def harmonic_ratio(rare: int, frequent: int) -> float:
    r""":math:`H^{(1/2)}_{rare} / H^{(1/2)}_{frequent}`, in exact SymPy arithmetic."""
    import sympy as sp

    half = sp.Rational(1, 2)
    return float(sp.N(sp.harmonic(rare, half) / sp.harmonic(frequent, half), 30))


def feature_paths(rule: str, lr: float, steps: int, every: int) -> np.ndarray:
    """How far the frequent (column 0) and the rare feature (column 1) have moved from 0 at
    each step under ``rule``."""
    from optsym.dynamics.stepper import run_stream

    def grad(t: int, x: np.ndarray) -> np.ndarray:
        return np.array([1.0, 1.0 if t % every == 0 else 0.0])

    return -run_stream(rule, {"lr": lr}, [0.0, 0.0], steps, grad)


def feature_moves(rule: str, lr: float, steps: int, every: int) -> tuple[float, float]:
    """How far the frequent and the rare feature moved from 0 under ``rule``."""
    last = feature_paths(rule, lr, steps, every)[-1]
    return float(last[0]), float(last[1])


def check_rare_features(rows: Mapping[str, Mapping[str, float]], frequency: float,
                        derived: float) -> bool:
    """SGD's rare/frequent ratio is the frequency, AdaGrad's is the derived ratio (to 1e-6) and
    more than twice SGD's."""
    sgd, ada = rows["sgd"]["ratio"], rows["adagrad"]["ratio"]
    return bool(abs(sgd - frequency) < 1e-12 and abs(ada - derived) < 1e-6 and ada > 2 * sgd)


def adagrad_rare_features(lr: float = 0.1, steps: int = 100, every: int = 10,
                          rules: tuple[str, str] = ("gd", "adagrad")) -> Claim:
    """The rare feature's move relative to the frequent one's, SGD against AdaGrad (``rules``
    may be swapped by a test)."""
    rows, paths = {}, {}
    for key, rule in zip(("sgd", "adagrad"), rules):
        paths[key] = feature_paths(rule, lr, steps, every)
        frequent, rare = float(paths[key][-1, 0]), float(paths[key][-1, 1])
        rows[key] = {"frequent": frequent, "rare": rare, "ratio": rare / frequent}
    derived = harmonic_ratio(steps // every, steps)
    frequency = (steps // every) / steps
    return Claim("adagrad-rare-features",
                 f"AdaGrad moves a feature seen every {every}th step {derived:.3f} as far as "
                 f"one seen every step, where SGD moves it {frequency:g} as far (its frequency)",
                 f"from (0, 0), gradients (1, 1 every {every}th step else 0), lr {lr:g}, "
                 f"{steps} steps",
                 {"derived_ratio": derived, "frequency": frequency, "rules": rows},
                 check_rare_features(rows, frequency, derived),
                 ["derived ratio: H_n^(1/2) over H_T^(1/2), generalized harmonic numbers "
                  "(derive adagrad-constant-gradient); see also `optsym example adagrad "
                  "--g-seq`"],
                 data={"paths": paths, "derived": derived, "frequency": frequency, "lr": lr,
                       "every": every})


# ---- Adam's first updates under noise ----------------------------------------------------------
def update_sizes(lrs: Sequence[float], base_lr: float, steps: int, runs: int, seed: int,
                 betas: tuple[float, float] = (0.9, 0.999)) -> np.ndarray:
    r"""Root-mean-square over ``runs`` coordinates of :math:`(x_t - x_{t-1})/\eta` at each step
    of Adam fed :math:`\mathcal N(0, 1)` gradients."""
    from optsym.dynamics.stepper import run_stream

    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((steps, runs))
    path = run_stream("adam", {"lr": base_lr, "beta1": betas[0], "beta2": betas[1]},
                      np.zeros(runs), steps, lambda t, x: noise[t - 1], lrs)
    return np.sqrt(np.mean((np.diff(path, axis=0) / base_lr) ** 2, axis=1))


def check_early_updates(first: float, early_max_plain: float, early_max_warm: float,
                        steady: float, predicted: float) -> bool:
    """The first update is the lr (to 1e-5), the steady size is the predicted one (within 15 %),
    the early updates without warmup reach over 3 times it and with warmup stay under 1.5."""
    return bool(abs(first - 1) < 1e-5 and abs(steady - predicted) < 0.15 * predicted
                and early_max_plain > 3 * steady and early_max_warm < 1.5 * steady)


def adam_early_updates(lr: float = 1e-3, steps: int = 1000, warmup: int = 100,
                       runs: int = 2000, seed: int = 0, beta1: float = 0.9) -> Claim:
    """Adam's update size against the step, with and without a linear warmup."""
    plain = update_sizes([lr] * steps, lr, steps, runs, seed, (beta1, 0.999))
    ramp = [lr * min(1.0, t / warmup) for t in range(1, steps + 1)]
    warm = update_sizes(ramp, lr, steps, runs, seed, (beta1, 0.999))
    steady = float(np.mean(plain[steps // 2:]))
    predicted = float(np.sqrt((1 - beta1) / (1 + beta1)))
    measured = {"first": float(plain[0]), "early_max_plain": float(plain[:warmup].max()),
                "early_max_warmup": float(warm[:warmup].max()), "steady": steady,
                "predicted_steady": predicted,
                "sizes_plain": [float(v) for v in plain[[0, 1, 4, 9, 49, warmup - 1]]]}
    return Claim("adam-early-updates",
                 f"under zero-mean noise Adam's first update is the lr, "
                 f"{measured['first'] / steady:.1f} times its steady size "
                 f"{steady:.3f} lr (predicted sqrt((1-beta1)/(1+beta1)) = {predicted:.3f}); a "
                 f"linear warmup over {warmup} steps keeps the early updates at "
                 f"{measured['early_max_warmup'] / steady:.2f} of it",
                 f"N(0, 1) gradients on {runs} coordinates, lr {lr:g}, beta1 {beta1:g}, "
                 f"{steps} steps; sizes are the RMS of (x_t - x_(t-1))/lr, steady: the mean "
                 f"over steps {steps // 2 + 1}-{steps}",
                 measured,
                 check_early_updates(measured["first"], measured["early_max_plain"],
                                     measured["early_max_warmup"], steady, predicted),
                 ["with a strong mean gradient the steady size is near the lr as well: the "
                  "excess is a property of the noise-dominated regime"],
                 data={"plain": plain, "warm": warm, "steady": steady, "predicted": predicted,
                       "warmup": warmup, "beta1": beta1, "runs": runs})


__all__ = ["adagrad_rare_features", "adam_early_updates", "check_early_updates",
           "check_rare_features", "feature_moves", "feature_paths", "harmonic_ratio",
           "update_sizes"]
