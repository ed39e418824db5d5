"""``flok pulse`` and ``flok rebalance``: demand per opportunity, and recommended seats."""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flok.cli import defaults
from flok.cli.app import OneLineUsage, OneLineUsageGroup, app, guarded
from flok.errors import InputError

if TYPE_CHECKING:  # the pulse package, NumPy and pyarrow load when a command runs, not for --help
    from flok.pulse.demand import PulseConfig
    from flok.pulse.fit import FitConfig

OpportunitiesOpt = Annotated[Path, typer.Option(help="Community opportunities CSV (see docs/pulse.md).")]
EventsOpt = Annotated[Path, typer.Option(help="events.csv: event_id,participant_id,opportunity_id,action,at")]
AtOpt = Annotated[
    str | None, typer.Option(help="Evaluate at this ISO 8601 time (default: the latest event).")
]
OutOpt = Annotated[str, typer.Option(help="CSV to write, or - for stdout.")]
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
    if not (math.isfinite(lam) and lam >= 0):
        raise InputError(f"must be a number ≥ 0, got {lam:g}", source="--lam")
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


pulse_app = typer.Typer(
    cls=OneLineUsageGroup,
    help="Decayed demand and pulse per opportunity; `flok pulse calibrate` fits k and λ to a log.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(pulse_app, name="pulse")
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="Pulse settings JSON (as `flok pulse calibrate --out` writes)."),
]


def _load_config(path: Path | None, **overrides: float | None) -> PulseConfig:
    """Settings from ``--config`` (or the defaults), then the options given on the command line."""
    import json

    from flok.pulse.demand import PulseConfig

    base = PulseConfig()
    if path is not None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", source=str(path)) from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"not JSON: {exc}", source=str(path)) from None
        if not isinstance(data, dict):
            raise InputError("must be a JSON object of pulse settings", source=str(path))
        try:
            base = PulseConfig.from_dict(data.get("config", data))
        except InputError as exc:
            raise InputError(exc.message, source=str(path), field=exc.field) from None
    given = {k: v for k, v in overrides.items() if v is not None}
    tau = given.get("tau_hours", base.tau_hours)
    k = given.get("k", base.k)
    lead = given.get("lead_hours", base.lead_hours)
    lam = given.get("lam", base.lam)
    checked = _config(float(tau), float(k), float(lam), float(lead))
    return replace(
        base, tau_hours=checked.tau_hours, k=checked.k, lam=checked.lam, lead_hours=checked.lead_hours
    )


@pulse_app.callback()
@guarded
def pulse_cmd(
    ctx: typer.Context,
    opportunities: Annotated[
        Path | None, typer.Option(help="Community opportunities CSV (see docs/pulse.md).")
    ] = None,
    events: Annotated[
        Path | None, typer.Option(help="events.csv: event_id,participant_id,opportunity_id,action,at")
    ] = None,
    out: Annotated[str | None, typer.Option(help="CSV to write, or - for stdout.")] = None,
    at: AtOpt = None,
    tau_hours: Annotated[float | None, typer.Option(help="Decay time constant τ in hours.")] = None,
    k: Annotated[float | None, typer.Option("--k", help="Pulse scale: pressure that reads as 73.1.")] = None,
    config: ConfigOpt = None,
) -> None:
    """Decayed demand, pressure and pulse (0–100) of every opportunity (empty pulse: no seats)."""
    if ctx.invoked_subcommand is not None:
        return
    for flag, value in (("--opportunities", opportunities), ("--events", events), ("--out", out)):
        if value is None:
            raise InputError(f"missing option {flag} (see flok pulse --help)", source="flok pulse")
    assert opportunities is not None and events is not None and out is not None
    import numpy as np
    import pyarrow as pa

    from flok.io.community import read_events, read_opportunities
    from flok.io.writers import csv_safe, outputs, write_table_csv
    from flok.pulse.demand import pressure
    from flok.pulse.market import market

    cfg = _load_config(config, tau_hours=tau_hours, k=k)
    opps = read_opportunities(opportunities)
    now = time.time()
    log = read_events(events, opps, opportunities.name, now=now, config=cfg)
    state = market(opps, log, at=_at(at), config=cfg, now=now)
    x = pressure(state.demand, opps.capacity, state.confirmed, opps.start, state.at, cfg)
    table = pa.table(
        {
            "opportunity_id": csv_safe(pa.array(opps.ids.astype(str))),
            "demand": pa.array(np.round(state.demand, 6)),
            "pressure": pa.array(np.round(x, 6), mask=np.isnan(x)),
            "pulse": pa.array(np.round(state.pulse, 4), mask=np.isnan(state.pulse)),
        }
    )
    with outputs() as files, files.open(out) as stream:
        write_table_csv(table, stream)


@pulse_app.command("calibrate", cls=OneLineUsage)
@guarded
def calibrate_cmd(
    events: Annotated[
        Path, typer.Argument(help="Event log CSV: event_id,participant_id,opportunity_id,action,at")
    ],
    opportunities: Annotated[Path, typer.Option(help="Community opportunities CSV (capacity, start).")],
    participants: Annotated[
        Path | None, typer.Option(help="Community participants CSV: also calibrates λ from their options.")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write the calibrated settings (JSON) here.")] = None,
    max_km: Annotated[float, typer.Option(help="Distance cut-off in km (for λ).")] = 25.0,
    weight: WeightOpt = None,
    positions: Annotated[int, typer.Option(help='Feed places "High demand" costs a weak match (λ).')] = 3,
    config: ConfigOpt = None,
) -> None:
    """Fit k (and λ with --participants) to an event log; print the settings, or write them with --out."""
    import json

    from flok.io.community import read_events, read_opportunities, read_participants
    from flok.io.writers import outputs, write_json
    from flok.pulse.calibrate import calibrate
    from flok.pulse.fit import FitScorer

    if positions < 1:
        raise InputError(f"must be at least 1, got {positions}", source="--positions")
    base = _load_config(config)
    fit_config = _fit_config(weight, max_km, "anywhere")
    opps = read_opportunities(opportunities)
    log = read_events(events, opps, opportunities.name, now=time.time(), config=base)
    scorer = FitScorer(read_participants(participants), opps, fit_config) if participants else None
    result = calibrate(opps, log, base=base, scorer=scorer, positions=positions)
    doc = {"config": result.config.to_dict(), "evidence": result.summary()}
    if out is not None:
        with outputs() as files, files.open(out) as stream:
            write_json(doc, stream)
    typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))


@app.command("rebalance", cls=OneLineUsage)
@guarded
def rebalance_cmd(
    opportunities: OpportunitiesOpt,
    participants: Annotated[Path, typer.Option(help="Community participants CSV (see docs/pulse.md).")],
    events: EventsOpt,
    out: OutOpt,
    at: AtOpt = None,
    tau_hours: Annotated[float | None, typer.Option(help="Decay time constant τ in hours.")] = None,
    k: Annotated[float | None, typer.Option("--k", help="Pulse scale: pressure that reads as 73.1.")] = None,
    lam: Annotated[float | None, typer.Option(help="λ in S_adj = S − λ·(pulse − 50).")] = None,
    top_k: Annotated[int, typer.Option(help="Candidates kept per participant (0 = all eligible).")] = 50,
    min_score: Annotated[float, typer.Option(help="Never recommend a pair with S_adj below this.")] = 0.0,
    max_km: Annotated[float, typer.Option(help="Distance cut-off in km.")] = 25.0,
    weight: WeightOpt = None,
    no_location: NoLocationOpt = "anywhere",
    lead_hours: Annotated[
        float | None, typer.Option(help="Sign-up closes this many hours before an opportunity starts.")
    ] = None,
    config: ConfigOpt = None,
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

    cfg = _load_config(config, tau_hours=tau_hours, k=k, lam=lam, lead_hours=lead_hours)
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
