"""Every policy in five market regimes × several seeds: means with spread, and the headline.

Sizes are small on purpose (1,000–2,000 people over two weeks) so the whole table regenerates
in about a minute on two cores: the comparison is between policies on the same communities,
which small communities show as well as large ones (docs/simulator.md, "Regimes").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from flok.sim.community import Community
from flok.sim.config import SimConfig
from flok.sim.policies import BASELINES, DEFAULT, POLICIES
from flok.sim.run import COLUMNS, PolicyOutcome, prepare, run_policy

BASE = SimConfig(participants=1500, opportunities=120, days=14)
REFERENCE = BASE
"""The run whose ``fit_open`` log calibrates the pulse defaults (seed 1; ``fit_open`` uses no
pulse, so the log does not depend on the settings it calibrates)."""


@dataclass(frozen=True)
class Regime:
    name: str
    description: str
    config: SimConfig


REGIMES: tuple[Regime, ...] = (
    Regime(
        "crowded",
        "more people than seats (2,000 people, ~1,200 seats)",
        replace(BASE, participants=2000, opportunities=100),
    ),
    Regime(
        "roomy",
        "more seats than people (800 people, ~1,800 seats)",
        replace(BASE, participants=800, opportunities=150),
    ),
    Regime(
        "short_notice", "listed 6–36 h before the start", replace(BASE, lead_days_min=0.25, lead_days_max=1.5)
    ),
    Regime("staggered", "80 % of people arrive during the run", replace(BASE, arrival_share=0.8)),
    Regime("bursty", "10 % of opportunities are hits for 36 h after listing", replace(BASE, hit_share=0.1)),
)
SEEDS = 5
METRICS = tuple(COLUMNS[1:])
HEADLINE = ("matched_share", "fill_rate", "oversubscription_rate", "oversubscription_feed_rate", "mean_fit")
TABLE = (
    "matched_share",
    "matched_24h_share",
    "fill_rate",
    "oversubscription_rate",
    "oversubscription_feed_rate",
    "inclusion_gap",
    "mean_fit",
    "messages_per_participant",
)
LOWER_IS_BETTER = {
    "oversubscription_rate",
    "oversubscription_feed_rate",
    "ttf_rsvp_median_h",
    "ttf_rsvp_p90_h",
}


def regime_configs(names: Sequence[str] | None = None) -> list[Regime]:
    chosen = [r for r in REGIMES if not names or r.name in names]
    return chosen


@dataclass(frozen=True, eq=False)
class TraceRun:
    """The first regime's seed-1 community and step times, for the pulse traces."""

    community: Community
    step_times: np.ndarray


def run_regimes(
    regimes: Sequence[Regime] = REGIMES,
    seeds: int = SEEDS,
    policy_names: Sequence[str] = DEFAULT,
) -> tuple[list[dict[str, object]], dict[str, PolicyOutcome], TraceRun]:
    """One row per (regime, policy): ``<metric>`` is the mean over seeds 1…``seeds``, and
    ``<metric>_sd`` the standard deviation (ddof 1). Also the seed-1 outcomes of the first
    regime, for the pulse traces."""
    rows: list[dict[str, object]] = []
    traces: dict[str, PolicyOutcome] = {}
    trace_run: TraceRun | None = None
    for r_i, regime in enumerate(regimes):
        values: dict[str, dict[str, list[float]]] = {p: {c: [] for c in METRICS} for p in policy_names}
        for seed in range(1, seeds + 1):
            cfg = replace(regime.config, seed=seed)
            community, pairs = prepare(cfg)
            if trace_run is None:
                trace_run = TraceRun(community, community.t0 + np.arange(cfg.steps) * cfg.step_seconds)
            for name in policy_names:
                outcome = run_policy(cfg, community, pairs, POLICIES[name])
                if r_i == 0 and seed == 1:
                    traces[name] = outcome
                for c in METRICS:
                    v = outcome.metrics[c]
                    if v is not None:
                        values[name][c].append(float(v))
        for name in policy_names:
            row: dict[str, object] = {"regime": regime.name, "policy": name}
            for c in METRICS:
                seen = values[name][c]
                row[c] = float(np.mean(seen)) if seen else None
                row[f"{c}_sd"] = float(np.std(seen, ddof=1)) if len(seen) > 1 else None
            row["_seeds"] = values[name]  # per-seed values, for paired differences (not in the CSV)
            rows.append(row)
    if trace_run is None:
        raise ValueError("no regime to run")
    return rows, traces, trace_run


def regimes_markdown(rows: Sequence[dict[str, object]], regimes: Sequence[Regime], seeds: int) -> str:
    """``regimes.md``: the regimes, the headline against the strongest baseline, the full table."""
    lines = [
        f"Seeds 1–{seeds} per regime, 14 days each; mean ± sd over the seeds. Regimes:",
        "",
        *[f"- `{r.name}`: {r.description}" for r in regimes],
        "",
        "Flok against the strongest baseline (the non-Flok policy with the highest mean matched "
        "share), as paired differences over the seeds (mean ± sd; same communities and behaviour "
        "streams for every policy); a verdict needs the mean more than two standard errors from "
        "0. Last two columns: the pulse's own effect, `flok` against `flok_no_pulse` (λ = 0):",
        "",
        headline_table(rows),
        "",
        "Every policy (oversubscription: refused ÷ all attempts; `…_feed_rate`: refused ÷ attempts "
        "made from the feed, which invitations and pushes cannot dilute):",
        "",
        regime_table(rows, TABLE),
        "",
    ]
    return "\n".join(lines)


def regime_columns() -> tuple[str, ...]:
    return ("regime", "policy", *(x for c in METRICS for x in (c, f"{c}_sd")))


def strongest_baseline(rows: Sequence[dict[str, object]], regime: str) -> str:
    """The baseline (no Flok) with the highest mean matched share in ``regime`` (ties: fill)."""
    mine = [r for r in rows if r["regime"] == regime and r["policy"] in BASELINES]
    best = max(mine, key=lambda r: (float(r["matched_share"] or 0), float(r["fill_rate"] or 0)))  # type: ignore[arg-type]
    return str(best["policy"])


def pm(row: dict[str, object], column: str, digits: int = 3) -> str:
    """``mean ± sd`` at ``digits`` decimals ("–" when there was nothing to measure)."""
    mean, sd = row.get(column), row.get(f"{column}_sd")
    if mean is None:
        return "–"
    text = f"{float(mean):.{digits}f}"  # type: ignore[arg-type]
    return text if sd is None else f"{text} ± {float(sd):.{digits}f}"  # type: ignore[arg-type]


def regime_table(rows: Sequence[dict[str, object]], columns: Sequence[str] = HEADLINE) -> str:
    """Markdown: one line per (regime, policy), ``mean ± sd`` over the seeds."""
    head = "| regime | policy | " + " | ".join(columns) + " |"
    rule = "| --- | --- | " + " | ".join("---:" for _ in columns) + " |"
    body = [
        f"| {r['regime']} | {r['policy']} | " + " | ".join(pm(r, c) for c in columns) + " |" for r in rows
    ]
    return "\n".join([head, rule, *body])


def paired(a: dict[str, object], b: dict[str, object], metric: str) -> tuple[float, float]:
    """Mean and sd over seeds of ``a − b`` on the same communities (common random numbers make
    the paired difference far less noisy than the two spreads)."""
    x = np.asarray(a["_seeds"][metric], dtype=np.float64)  # type: ignore[index]
    y = np.asarray(b["_seeds"][metric], dtype=np.float64)  # type: ignore[index]
    d = x - y
    return float(d.mean()), float(d.std(ddof=1)) if d.size > 1 else 0.0


def verdict(mean: float, sd: float, n: int, higher_is_better: bool = True) -> str:
    """ "flok ahead" / "baseline ahead" when the mean paired difference is more than two standard
    errors from 0, else "no clear difference"."""
    margin = 2 * sd / np.sqrt(max(n, 1))
    if abs(mean) <= margin or mean == 0:
        return "no clear difference"
    return "flok ahead" if (mean > 0) == higher_is_better else "baseline ahead"


def headline_table(rows: Sequence[dict[str, object]]) -> str:
    """Markdown: per regime, ``flok`` against the strongest baseline (paired differences over the
    seeds), and the pulse's own effect (``flok`` − ``flok_no_pulse``)."""
    lines = [
        "| regime | strongest baseline | matched share, flok − baseline | verdict "
        "| fill rate, flok − baseline | oversubscription, flok − baseline "
        "| messages per participant, flok / baseline "
        "| pulse effect on feed oversubscription (flok − flok_no_pulse) | verdict |",
        "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for regime in dict.fromkeys(str(r["regime"]) for r in rows):
        by = {str(r["policy"]): r for r in rows if r["regime"] == regime}
        if "flok" not in by:
            continue
        base = strongest_baseline(rows, regime)
        f, b = by["flok"], by[base]
        n = len(f["_seeds"]["matched_share"])  # type: ignore[index]
        dm, sm = paired(f, b, "matched_share")
        df, sf = paired(f, b, "fill_rate")
        do, so = paired(f, b, "oversubscription_rate")
        msg = f"{float(f['messages_per_participant']):.2f} / {float(b['messages_per_participant']):.2f}"  # type: ignore[arg-type]
        pulse, pulse_verdict = "–", "–"
        if "flok_no_pulse" in by:
            dp, sp = paired(f, by["flok_no_pulse"], "oversubscription_feed_rate")
            pulse = f"{dp:+.3f} ± {sp:.3f}"
            pulse_verdict = verdict(dp, sp, n, higher_is_better=False).replace("baseline", "no-pulse")
        lines.append(
            f"| {regime} | {base} | {dm:+.3f} ± {sm:.3f} | {verdict(dm, sm, n)} | {df:+.3f} ± {sf:.3f} "
            f"| {do:+.3f} ± {so:.3f} | {msg} | {pulse} | {pulse_verdict} |"
        )
    return "\n".join(lines)


def _number(value: object, missing: float) -> float:
    return missing if value is None else float(value)  # type: ignore[arg-type]


def regimes_plot(rows: Sequence[dict[str, object]], metrics: Sequence[str] = HEADLINE[:4]) -> bytes:
    """One row of bar charts per regime (one chart per metric): mean per policy, error bars ±1 sd."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    regimes = list(dict.fromkeys(str(r["regime"]) for r in rows))
    policies = list(dict.fromkeys(str(r["policy"]) for r in rows))
    colours = plt.get_cmap("tab10").colors  # type: ignore[attr-defined]
    fig, axes = plt.subplots(
        len(regimes),
        len(metrics),
        figsize=(3.3 * len(metrics), 2.4 * len(regimes)),
        squeeze=False,
        constrained_layout=True,
    )
    x = np.arange(len(policies))
    for i, regime in enumerate(regimes):
        by = {str(r["policy"]): r for r in rows if r["regime"] == regime}
        for j, metric in enumerate(metrics):
            ax = axes[i][j]
            mean = [_number(by[p].get(metric), np.nan) for p in policies]
            sd = [_number(by[p].get(f"{metric}_sd"), 0.0) for p in policies]
            ax.bar(x, mean, yerr=sd, capsize=2, color=colours[: len(policies)], error_kw={"linewidth": 0.8})
            ax.set_xticks(x)
            ax.set_xticklabels(policies if i == len(regimes) - 1 else [], rotation=40, ha="right", fontsize=7)
            ax.tick_params(axis="y", labelsize=7)
            ax.set_ylim(0, 1.05 if metric != "mean_fit" else max(1.0, np.nanmax(mean) * 1.1))
            ax.grid(axis="y", linewidth=0.3)
            if i == 0:
                ax.set_title(metric, fontsize=9)
            if j == 0:
                ax.set_ylabel(regime, fontsize=9)
    fig.suptitle("Policies per regime: mean over seeds, error bars ±1 sd", fontsize=10)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    return buf.getvalue()
