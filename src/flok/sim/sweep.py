"""Sensitivity of the ``flok`` policy to λ, τ and k, one parameter at a time around the defaults.

The community and its fit scores are built once per seed and reused for every setting, so
differences come from the pulse settings (and the behaviour noise they cause), not from a new city.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from flok.pulse import PulseConfig
from flok.sim.config import SimConfig
from flok.sim.policies import POLICIES
from flok.sim.report import cell
from flok.sim.run import COLUMNS, prepare, run_policy

LAMBDAS: tuple[float, ...] = (0.0, 0.005, 0.01, 0.02, 0.05)
TAUS: tuple[float, ...] = (3.0, 6.0, 12.0, 24.0, 48.0)
KS: tuple[float, ...] = (2.5, 5.0, 10.0, 20.0, 40.0)
"""Around the calibrated defaults (λ = 0.01, k = 10; docs/pulse.md, "Calibration")."""
PLOTTED = ("oversubscription_rate", "fill_rate", "matched_24h_share", "mean_fit")
SWEEP_COLUMNS = ("parameter", "value", *COLUMNS[1:], *(f"{m}_sd" for m in PLOTTED))
"""``sweep.csv``: the mean of each metric over the seeds, then the spread (sd) of the plotted ones."""


def _settings(
    base: PulseConfig, lambdas: Sequence[float], taus: Sequence[float], ks: Sequence[float]
) -> list[tuple[str, float, PulseConfig]]:
    out = [("lambda", v, replace(base, lam=v)) for v in lambdas]
    out += [("tau_hours", v, replace(base, tau_hours=v)) for v in taus]
    out += [("k", v, replace(base, k=v)) for v in ks]
    return out


def sweep(
    config: SimConfig,
    *,
    lambdas: Sequence[float] = LAMBDAS,
    taus: Sequence[float] = TAUS,
    ks: Sequence[float] = KS,
    repeats: int = 1,
    policy: str = "flok",
) -> list[dict[str, object]]:
    """One row per (parameter, value): the policy's metrics, averaged over ``repeats`` seeds (and
    the spread of the plotted ones, ``<metric>_sd``).

    Other parameters stay at ``config.pulse``; a row ``parameter = baseline`` gives ``fcfs`` on
    the same communities for scale.
    """
    settings = _settings(config.pulse, lambdas, taus, ks)
    sums: list[dict[str, list[float]]] = [{c: [] for c in COLUMNS[1:]} for _ in range(len(settings) + 1)]
    for r in range(repeats):
        cfg = replace(config, seed=config.seed + r)
        community, pairs = prepare(cfg)
        runs = [(cfg, POLICIES["fcfs"])] + [(replace(cfg, pulse=p), POLICIES[policy]) for _, _, p in settings]
        for acc, (c, pol) in zip(sums, runs, strict=True):
            outcome = run_policy(c, community, pairs, pol)
            for column in COLUMNS[1:]:
                metric = outcome.metrics[column]
                if metric is not None:
                    acc[column].append(metric)
    labels: list[tuple[str, object]] = [("baseline", "fcfs")]
    labels += [(name, value) for name, value, _ in settings]
    rows: list[dict[str, object]] = []
    for (name, setting), acc in zip(labels, sums, strict=True):
        row: dict[str, object] = {"parameter": name, "value": setting}
        row.update({c: (float(np.mean(v)) if v else None) for c, v in acc.items()})
        row.update({f"{c}_sd": (float(np.std(acc[c])) if acc[c] else None) for c in PLOTTED})
        rows.append(row)
    return rows


def sweep_plot(rows: Sequence[dict[str, object]], config: SimConfig) -> bytes:
    """A grid: one column per parameter, one row per metric; the fcfs baseline is in the titles
    (a line at its level would flatten the flok curves)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    params = [
        ("lambda", "λ", config.pulse.lam),
        ("tau_hours", "τ (hours)", config.pulse.tau_hours),
        ("k", "k", config.pulse.k),
    ]
    baseline = next((r for r in rows if r["parameter"] == "baseline"), {})
    fig, axes = plt.subplots(len(PLOTTED), 3, figsize=(10, 9), constrained_layout=True, squeeze=False)
    for j, (name, label, default) in enumerate(params):
        sub = [r for r in rows if r["parameter"] == name]
        xs = [float(r["value"]) for r in sub]  # type: ignore[arg-type]
        for i, metric in enumerate(PLOTTED):
            ax = axes[i][j]
            ys = [np.nan if r[metric] is None else float(r[metric]) for r in sub]  # type: ignore[arg-type]
            sd = [np.nan if r.get(f"{metric}_sd") is None else float(r[f"{metric}_sd"]) for r in sub]  # type: ignore[arg-type]
            ax.errorbar(xs, ys, yerr=sd, marker="o", linewidth=1.2, capsize=3)
            ax.axvline(default, color="green", linewidth=0.8, linestyle=":")
            if name != "lambda":
                ax.set_xscale("log")
                ax.minorticks_off()
            ax.set_xticks(xs)
            ax.set_xticklabels([f"{x:g}" for x in xs])
            ax.tick_params(labelsize=7)
            base = baseline.get(metric)
            ax.set_title(f"{metric} (fcfs: {cell(base) or '–'})", fontsize=8)
            if i == len(PLOTTED) - 1:
                ax.set_xlabel(label, fontsize=8)
    fig.suptitle("flok policy: sensitivity to λ, τ and k (bars: sd over seeds; dotted: default)", fontsize=10)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    return buf.getvalue()
