"""Outputs of a simulation: ``metrics.csv``, ``report.md`` and PNG plots (matplotlib, Agg)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np

from flok.sim.run import COLUMNS, PolicyOutcome, SimResult

LABELS = {
    "oversubscription_rate": "oversubscription rate",
    "fill_rate": "fill rate",
    "matched_share": "share matched",
    "matched_24h_share": "matched within 24 h",
    "ttf_rsvp_median_h": "time to first RSVP, median (h)",
    "ttf_rsvp_p90_h": "time to first RSVP, p90 (h)",
    "inclusion_gap": "inclusion gap (first-timers − all)",
    "exposure_gini": "exposure Gini",
    "mean_fit": "mean fit of seats",
    "oversubscription_feed_rate": "oversubscription, feed attempts only",
    "high_demand_share": "share of listed hours at High demand",
    "messages_per_participant": "invitations and pushes per participant",
}
HOTTEST = 5


def cell(value: object) -> str:
    """A metric as text: 4 decimals, empty when there was nothing to measure (stable bytes)."""
    if value is None:
        return ""
    if isinstance(value, float | np.floating):
        return f"{float(value):.4f}"
    return str(value)


def metrics_csv(rows: Sequence[dict[str, object]], columns: Sequence[str] = COLUMNS) -> bytes:
    """CSV text of metric rows: fixed formatting, so the same run gives the same bytes."""
    lines = [",".join(columns)] + [",".join(cell(r.get(c)) for c in columns) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def markdown_table(rows: Sequence[dict[str, object]], columns: Sequence[str] = COLUMNS) -> str:
    head = "| " + " | ".join(columns) + " |"
    rule = "| " + " | ".join("---" if c in ("policy", "parameter") else "---:" for c in columns) + " |"
    body = ["| " + " | ".join(cell(r.get(c)) or "–" for c in columns) + " |" for r in rows]
    return "\n".join([head, rule, *body])


def report_markdown(result: SimResult, plots: Sequence[str]) -> str:
    """``report.md``: the settings, the metrics table, counts, plots and run time."""
    cfg = result.config
    counts_cols = [
        "policy",
        "sessions",
        "attempts",
        "full",
        "seats",
        "matched",
        "invites_accepted",
        "gave_up",
    ]
    counts = [{"policy": o.policy, **o.counts} for o in result.outcomes]
    times = ", ".join(f"{k.removesuffix('_seconds')} {v:.1f} s" for k, v in result.seconds.items())
    lines = [
        "# Flok simulation",
        "",
        f"{cfg.participants:,} participants, {cfg.opportunities:,} opportunities, {cfg.days} days, "
        f"seed {cfg.seed}, steps of {cfg.step_minutes} min; λ = {cfg.pulse.lam:g}, "
        f"τ = {cfg.pulse.tau_hours:g} h, k = {cfg.pulse.k:g}. Behaviour model and metric "
        "definitions: docs/simulator.md.",
        "",
        "## Metrics",
        "",
        markdown_table(result.rows()),
        "",
        "## Counts",
        "",
        markdown_table(counts, counts_cols),
        "",
        f"Run time: {times}.",
        "",
        "## Plots",
        "",
        *[f"![{name}]({name})" for name in plots],
        "",
    ]
    return "\n".join(lines)


def _png(fig: object) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)  # type: ignore[attr-defined]
    return buf.getvalue()


def metrics_plot(result: SimResult) -> bytes:
    """Bar charts, one per metric, comparing the policies."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [o.policy for o in result.outcomes]
    fig, axes = plt.subplots(3, 4, figsize=(14, 8), constrained_layout=True)
    colours = plt.get_cmap("tab10").colors  # type: ignore[attr-defined]
    for ax in axes.ravel()[len(COLUMNS) - 1 :]:
        ax.set_visible(False)
    for ax, column in zip(axes.ravel(), COLUMNS[1:], strict=False):
        values = [o.metrics[column] for o in result.outcomes]
        ax.bar(names, [np.nan if v is None else v for v in values], color=colours[: len(names)])
        ax.set_title(LABELS[column], fontsize=9)
        ax.tick_params(axis="x", labelsize=7, rotation=20)
        ax.tick_params(axis="y", labelsize=7)
        if column == "inclusion_gap":
            ax.axhline(0.0, color="black", linewidth=0.6)
    fig.suptitle(f"Policies on the same community (seed {result.config.seed})", fontsize=10)
    data = _png(fig)
    plt.close(fig)
    return data


def pulse_plot(result: SimResult) -> bytes:
    """Pulse over time of each policy's hottest opportunities (see :func:`pulse_traces`)."""
    return pulse_traces(result.outcomes, result.community.opportunities.title, result.step_times)


def pulse_traces(
    outcomes: Sequence[PolicyOutcome], titles: np.ndarray, step_times: np.ndarray, *, high: float = 70.0
) -> bytes:
    """One panel per policy, stacked on one shared date axis: the pulse of its ``HOTTEST``
    opportunities (by peak pulse while listed), labelled by title; dashed: "High demand"."""
    from datetime import UTC, datetime

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    k = len(outcomes)
    fig, axes = plt.subplots(
        k, 1, figsize=(9, 2.1 * k + 0.6), sharex=True, squeeze=False, constrained_layout=True
    )
    when = [datetime.fromtimestamp(float(t), UTC) for t in step_times]
    for ax, outcome in zip(axes[:, 0], outcomes, strict=True):
        hist = outcome.pulse_history
        peak = np.where(np.isnan(hist), -np.inf, hist).max(axis=0, initial=-np.inf)
        for o in np.argsort(-peak, kind="stable")[:HOTTEST]:
            if np.isfinite(peak[o]):
                ax.plot(when, hist[:, o], linewidth=1.0, label=str(titles[o]))
        ax.axhline(50.0, color="grey", linewidth=0.5)
        ax.axhline(high, color="red", linewidth=0.6, linestyle="--")
        ax.set_ylim(0, 100)
        ax.set_ylabel(f"{outcome.policy}\npulse", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6, loc="center left", bbox_to_anchor=(1.0, 0.5))
    axes[-1, 0].xaxis.set_major_formatter(mdates.DateFormatter("%a %d %b"))
    axes[-1, 0].set_xlabel("time (UTC)", fontsize=8)
    fig.suptitle(
        f"Pulse of the {HOTTEST} hottest opportunities per policy (dashed: High demand)", fontsize=10
    )
    data = _png(fig)
    plt.close(fig)
    return data
