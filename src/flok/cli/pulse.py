"""``flok pulse`` and ``flok rebalance``: demand per opportunity, and recommended seats."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flok.cli import defaults
from flok.cli.app import OneLineUsage, app, guarded
from flok.errors import InputError

if TYPE_CHECKING:  # the pulse package, NumPy and pyarrow load when a command runs, not for --help
    from flok.pulse.demand import PulseConfig
    from flok.pulse.fit import FitConfig

OpportunitiesOpt = Annotated[Path, typer.Option(help="Community opportunities CSV (see docs/pulse.md).")]
EventsOpt = Annotated[Path, typer.Option(help="events.csv: event_id,participant_id,opportunity_id,action,at")]
AtOpt = Annotated[
    str | None, typer.Option(help="Evaluate at this ISO 8601 time (default: the latest event).")
]
TauOpt = Annotated[float, typer.Option(help="Decay time constant τ in hours.")]
KOpt = Annotated[float, typer.Option("--k", help="Pulse scale: L = k·capacity.")]
OutOpt = Annotated[str, typer.Option(help="CSV to write, or - for stdout.")]
LeadOpt = Annotated[float, typer.Option(help="Sign-up closes this many hours before an opportunity starts.")]
WeightOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--weight",
        help="Fit weight NAME=VALUE (interest, distance, schedule; repeatable; default 0.5/0.3/0.2).",
    ),
]
NoLocationOpt = Annotated[
    str,
    typer.Option(
        help="Participants without a location: 'anywhere' (any distance) or 'online_only' "
        "(only opportunities without a location)."
    ),
]


def _at(value: str | None) -> float | None:
    if value is None:
        return None
    import numpy as np
    import pyarrow as pa

    from flok.table import TIME_HINT, parse_timestamps

    parsed, bad = parse_timestamps(pa.array([value]))
    if bad is not None or np.isnan(parsed[0]):
        raise InputError(f"must be {TIME_HINT}, got '{value}'", source="--at")
    return float(parsed[0])


def _config(
    tau_hours: float, k: float, lam: float = defaults.LAM, lead_hours: float = defaults.LEAD_HOURS
) -> PulseConfig:
    from flok.pulse.demand import PulseConfig

    for name, value in (("--tau-hours", tau_hours), ("--k", k)):
        if not (math.isfinite(value) and value > 0):
            raise InputError(f"must be a positive number, got {value:g}", source=name)
    if not (math.isfinite(lead_hours) and lead_hours >= 0):
        raise InputError(f"must be a number ≥ 0, got {lead_hours:g}", source="--lead-hours")
    return PulseConfig(tau_hours=tau_hours, k=k, lam=lam, lead_hours=lead_hours)


def _fit_config(weights: list[str] | None, max_km: float, no_location: str) -> FitConfig:
    """``--weight interest=0.6 --weight schedule=0`` (unnamed weights keep their defaults)."""
    from flok.pulse.fit import FEATURES, NO_LOCATION_RULES, FitConfig

    if not (math.isfinite(max_km) and max_km > 0):
        raise InputError(f"must be a positive number, got {max_km:g}", source="--max-km")
    if no_location not in NO_LOCATION_RULES:
        raise InputError(
            f"must be one of {', '.join(NO_LOCATION_RULES)}, got '{no_location}'", source="--no-location"
        )
    named: dict[str, float] = {}
    for item in weights or []:
        name, sep, value = item.partition("=")
        name = name.strip().lower()
        try:
            number = float(value) if sep else float("nan")
        except ValueError:
            number = float("nan")
        if name not in FEATURES or not (math.isfinite(number) and number >= 0):
            raise InputError(
                f"must be NAME=VALUE with NAME one of {', '.join(FEATURES)} and VALUE ≥ 0, got '{item}'",
                source="--weight",
            )
        named[name] = number
    try:
        return FitConfig.with_weights(named, max_km=max_km, no_location=no_location)
    except InputError as exc:
        raise InputError(exc.message, source="--weight") from None


@app.command("pulse", cls=OneLineUsage)
@guarded
def pulse_cmd(
    opportunities: OpportunitiesOpt,
    events: EventsOpt,
    out: OutOpt,
    at: AtOpt = None,
    tau_hours: TauOpt = defaults.TAU_HOURS,
    k: KOpt = defaults.K,
) -> None:
    """Decayed demand and pulse (0–100) of every opportunity (empty pulse: no seats, undefined)."""
    import numpy as np
    import pyarrow as pa

    from flok.io.community import read_events, read_opportunities
    from flok.io.writers import csv_safe, outputs, write_table_csv
    from flok.pulse.market import market

    cfg = _config(tau_hours, k)
    opps = read_opportunities(opportunities)
    now = time.time()
    log = read_events(events, opps, opportunities.name, now=now, config=cfg)
    state = market(opps, log, at=_at(at), config=cfg, now=now)
    table = pa.table(
        {
            "opportunity_id": csv_safe(pa.array(opps.ids.astype(str))),
            "demand": pa.array(np.round(state.demand, 6)),
            "pulse": pa.array(np.round(state.pulse, 4), mask=np.isnan(state.pulse)),
        }
    )
    with outputs() as files, files.open(out) as stream:
        write_table_csv(table, stream)


@app.command("rebalance", cls=OneLineUsage)
@guarded
def rebalance_cmd(
    opportunities: OpportunitiesOpt,
    participants: Annotated[Path, typer.Option(help="Community participants CSV (see docs/pulse.md).")],
    events: EventsOpt,
    out: OutOpt,
    at: AtOpt = None,
    tau_hours: TauOpt = defaults.TAU_HOURS,
    k: KOpt = defaults.K,
    lam: Annotated[float, typer.Option(help="λ in S_adj = S − λ·(pulse − 50).")] = defaults.LAM,
    top_k: Annotated[int, typer.Option(help="Candidates kept per participant (0 = all eligible).")] = 50,
    min_score: Annotated[float, typer.Option(help="Never recommend a pair with S_adj below this.")] = 0.0,
    max_km: Annotated[float, typer.Option(help="Distance cut-off in km.")] = 25.0,
    weight: WeightOpt = None,
    no_location: NoLocationOpt = "anywhere",
    lead_hours: LeadOpt = defaults.LEAD_HOURS,
    model: Annotated[Path | None, typer.Option(help="RSVP model JSON (RsvpModel.save) to score fit.")] = None,
    report: Annotated[Path | None, typer.Option(help="report.json with the run's metrics.")] = None,
) -> None:
    """Recommend one seat per participant, moving demand from hot to strong quieter options."""
    import numpy as np

    from flok.io.community import read_events, read_opportunities, read_participants
    from flok.io.rsvp_model import read_rsvp_model
    from flok.io.writers import csv_safe, outputs, write_json, write_table_csv
    from flok.pulse.fit import FitScorer
    from flok.pulse.market import history_metrics, market
    from flok.pulse.rebalance import RebalanceConfig, rebalance

    cfg = _config(tau_hours, k, lam, lead_hours)
    if top_k < 0:
        raise InputError(f"must be ≥ 0, got {top_k}", source="--top-k")
    fit_config = _fit_config(weight, max_km, no_location)
    rsvp = None
    if model is not None:
        rsvp = read_rsvp_model(model)
    opps = read_opportunities(opportunities)
    people = read_participants(participants)
    now = time.time()
    log = read_events(events, opps, opportunities.name, now=now, config=cfg)
    state = market(opps, log, at=_at(at), config=cfg, now=now)
    scorer = FitScorer(people, opps, fit_config, rsvp)
    result = rebalance(scorer, state, RebalanceConfig(top_k=top_k or None, min_score=min_score))
    seated = np.flatnonzero(result.seat >= 0)
    reasons: list[list[str]] = [[] for _ in range(len(people))]
    if seated.size:
        fit = scorer.evaluate(seated, result.seat[seated])
        for j, p in enumerate(seated):
            reasons[p] = scorer.reasons(fit, j)
    table = result.table(reasons)
    table = table.set_column(0, "participant_id", csv_safe(table.column("participant_id").combine_chunks()))
    table = table.set_column(1, "opportunity_id", csv_safe(table.column("opportunity_id").combine_chunks()))
    run = {**result.metrics, **history_metrics(log, opps, people)}
    with outputs() as files:
        with files.open(out) as stream:
            write_table_csv(table, stream)
        if report is not None:
            with files.open(report) as stream:
                write_json(run, stream)
    n = max(len(people), 1)
    typer.echo(
        f"Recommended seats to {seated.size:,} of {len(people):,} participants "
        f"({100 * seated.size / n:.1f}%) "
        f"from {run['candidates']:,} candidate pairs; fill {100 * (run['fill_rate_before'] or 0):.1f}% → "
        f"{100 * (run['fill_rate_after'] or 0):.1f}%",
        err=(out == "-"),
    )
