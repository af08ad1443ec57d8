"""The text ``optsym claims`` prints for a claim: statement, setting, numbers, verdict."""

from __future__ import annotations

from optsym.dynamics.claim import Claim


def _g(v: float) -> str:
    return f"{v:.4g}"


def _rows(claim: Claim) -> list[str]:
    m = claim.measured
    if claim.name == "momentum-regime":
        out = [f"  {'objective':<16} {'lr':>6} {'GD':>10} {'momentum':>10} {'rate GD':>8} "
               f"{'rate HB':>8}"]
        out += [f"  {r['objective']:<16} {r['lr']:>6g} {_g(r['gd']):>10} "
                f"{_g(r['momentum']):>10} {r['rate_gd']:>8.4f} {r['rate_hb']:>8.4f}"
                for r in m["settings"]]
        return out
    if claim.name == "weight-decay-retention":
        out = [f"  {'grad scale':>10} {'Adam+L2 keeps':>14} {'AdamW keeps':>12}"]
        out += [f"  {r['scale']:>10g} {100 * r['adam_l2']:>13.2f}% {100 * r['adamw']:>11.2f}%"
                for r in m["scales"]]
        out.append(f"  (1 - lr*wd)^T = {100 * m['decay_only']:.2f}%")
        return out
    if claim.name == "rosenbrock-adam-slowest":
        return [f"  {rule:<10} f = {_g(v)}" for rule, v in m["final_loss"].items()]
    if claim.name == "adagrad-rare-features":
        out = [f"  {'rule':<8} {'frequent moved':>15} {'rare moved':>11} {'ratio':>8}"]
        out += [f"  {rule:<8} {_g(r['frequent']):>15} {_g(r['rare']):>11} {r['ratio']:>8.4f}"
                for rule, r in m["rules"].items()]
        out.append(f"  derived ratio H_n^(1/2)/H_T^(1/2) = {m['derived_ratio']:.6f}; "
                   f"frequency {m['frequency']:g}")
        return out
    if claim.name == "adam-early-updates":
        steps = (1, 2, 5, 10, 50, 100)
        out = ["  step t:         " + " ".join(f"{t:>6}" for t in steps),
               "  RMS update/lr:  " + " ".join(f"{v:>6.3f}" for v in m["sizes_plain"])]
        out.append(f"  steady {m['steady']:.4f} (predicted {m['predicted_steady']:.4f}); "
                   f"early max {m['early_max_plain']:.3f} without warmup, "
                   f"{m['early_max_warmup']:.3f} with it")
        return out
    if claim.name == "saddle-escape":
        lo, hi = m["noisy_escape_range"]
        return [f"  GD leaves |y| < 0.5 at step {m['gd_escape_step']} (derived "
                f"{m['derived_escape_step']:.1f})",
                f"  with noise: median step {m['noisy_escape_median']}, range {lo}-{hi} "
                f"({m['runs_escaped']} runs; about {m['noisy_derived']:.0f} derived)",
                f"  from y0 = 0: distance to the saddle {m['manifold_distance_to_saddle']:.2g}, "
                "never leaves"]
    if claim.name == "nesterov-heavy-ball":
        out = [f"  {'kappa':>7} " + " ".join(f"{k + ' derived':>19} {'measured':>9}"
                                              for k in ("GD", "heavy ball", "Nesterov"))]
        for r in m["kappas"]:
            out.append(f"  {r['kappa']:>7g} " + " ".join(
                f"{r['derived'][k]:>19.6f} {r['measured'][k]:>9.6f}"
                for k in ("gd", "heavy-ball", "nesterov")))
        out.append(f"  (agree to {m['tolerance']:g} per step)")
        return out
    if claim.name == "clipping-cliff":
        out = [f"  {'run':<12} {'f(x_T)':>10} {'largest step':>13} {'largest turn':>13}"]
        for key, label in (("plain", "plain GD"), ("clip_norm", "clip norm"),
                           ("clip_value", "clip value")):
            r = m[key]
            turn = f"{r['max_angle_deg']:.3g} deg" if "max_angle_deg" in r else "-"
            out.append(f"  {label:<12} {_g(r['final_loss']):>10} {_g(r['max_update']):>13} "
                       f"{turn:>13}")
        out.append(f"  step bound lr*c = {m['step_bound']:g}; generated clip - torch's clip: "
                   f"{m['torch_gap']:g}")
        out.append(f"  grid of {m['grid_starts']} starts: plain GD lost from "
                   f"{m['grid_lost_plain']}, clipped from {m['grid_lost_clipped']}")
        return out
    if claim.name == "noise-floor":
        b, k, lr = m["batch"], m["scale"], m["lr"]
        rows = ((f"B = {b}, lr {lr:g}", m["floor_constant"], m["derived_constant"]),
                (f"B = {k * b}, lr {lr:g}", m["floor_big_batch"], m["derived_big_batch"]),
                (f"B = {k * b}, lr {k * lr:g}", m["floor_scaled"], m["derived_scaled"]))
        out = [f"  {'floor (mean F - F*)':<28} {'measured':>10} {'derived':>10}"]
        out += [f"  {label:<28} {_g(v):>10} {_g(d):>10}" for label, v, d in rows]
        decayed = f"B = {b}, lr {lr:g}/(1 + {m['decay']:g} k)"
        out.append(f"  {decayed:<28} {_g(m['decayed_end']):>10}  (end; lr now "
                   f"{_g(m['final_lr_decayed'])})")
        out.append("  batch sweep:  B   lr        measured   derived")
        out += [f"  {r['batch']:>14} {r['lr']:<9g} {_g(r['measured']):>9} {_g(r['derived']):>9}"
                for r in m["batch_sweep"]]
        return out
    if claim.name == "newton-saddle":
        return ["  Newton y_k: " + ", ".join(f"{v:.3g}" for v in m["newton_y"]),
                f"  Newton ends {m['newton_distance_to_saddle']:.2g} from the saddle, |grad| "
                f"{m['newton_grad_norm']:.2g}, curvature along y {m['newton_end_curvature_yy']:g}"
                f"; derived recursion within {m['derived_gap']:.2g}",
                f"  GD leaves at step {m['gd_escape_step']}, ends at "
                f"({', '.join(f'{v:.4g}' for v in m['gd_end'])})",
                f"  Newton from y0 = {m['outside_y0']:g} (basin |y| < {m['basin']:.4f}) ends at "
                f"({', '.join(f'{v:.4g}' for v in m['outside_end'])})"]
    if claim.name == "resume-state":
        out = [f"  {'setting':<20} {'lr':>5} {'sigma':>5} {'f(x_T)':>9} {'next kept':>10} "
               f"{'next reset':>10} {'derived':>9} {'mean kept':>10} {'mean reset':>10}"]
        for r in m["settings"]:
            d = r["predicted_reset_next"]
            out.append(f"  {r['setting']:<20} {r['lr']:>5g} {r['sigma']:>5g} "
                       f"{_g(r['loss_at_resume']):>9} {_g(r['kept_next']):>10} "
                       f"{_g(r['reset_next']):>10} {'-' if d is None else _g(d):>9} "
                       f"{_g(r['kept_window']):>10} {_g(r['reset_window']):>10}")
        out.append(f"  (resumed at step {m['resume_at']}; means over the next {m['after']} "
                   "steps; derived: f(x_T - lr*g/(|g| + eps)))")
        return out
    return [f"  {k}: {v}" for k, v in m.items()]


def claim_text(claim: Claim) -> str:
    verdict = "HOLDS" if claim.holds else "FAILS"
    lines = [f"{claim.name}: {verdict}", f"  {claim.statement}", f"  ({claim.setting})"]
    lines += _rows(claim)
    lines += [f"  note: {n}" for n in claim.notes]
    return "\n".join(lines)
