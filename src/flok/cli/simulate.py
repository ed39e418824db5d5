"""``flok simulate`` and ``flok simulate-sweep``: reproducible evidence for capacity-aware matching."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flok.cli import defaults
from flok.cli.app import OneLineUsage, app, guarded, info
from flok.errors import InputError

if TYPE_CHECKING:  # the simulator and the pulse package (NumPy, SciPy) load when a command runs
    from flok.sim.config import SimConfig

ParticipantsOpt = Annotated[int, typer.Option("--participants", help="Number of participants.")]
OpportunitiesOpt = Annotated[int, typer.Option("--opportunities", help="Opportunities created over the run.")]
DaysOpt = Annotated[int, typer.Option("--days", help="Simulated days.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed: same seed, same community and same numbers.")]
OutDirOpt = Annotated[Path, typer.Option("--out-dir", help="Directory for metrics.csv, report.md and plots.")]
LamOpt = Annotated[float, typer.Option("--lam", help="λ in S_adj = S − λ·(pulse − 50).")]
TauOpt = Annotated[float, typer.Option("--tau-hours", help="Demand decay time constant τ in hours.")]
KOpt = Annotated[float, typer.Option("--k", help="Pulse scale: the pressure that reads as pulse 73.1.")]


def _config(
    participants: int, opportunities: int, days: int, seed: int, lam: float, tau: float, k: float
) -> SimConfig:
    """Check the options one by one so a bad one is named by its flag."""
    from flok.sim.config import SimConfig

    for flag, value in (
        ("--participants", participants),
        ("--opportunities", opportunities),
        ("--days", days),
    ):
        if value < 1:
            raise InputError(f"must be at least 1, got {value}", source=flag)
    if seed < 0:
        raise InputError(f"must be ≥ 0, got {seed}", source="--seed")
    for flag, number in (("--tau-hours", tau), ("--k", k)):
        if not 0 < number < float("inf"):
            raise InputError(f"must be a positive number, got {number:g}", source=flag)
    if not 0 <= lam < float("inf"):
        raise InputError(f"must be a number ≥ 0, got {lam:g}", source="--lam")
    base = SimConfig()
    pulse_cfg = replace(base.pulse, lam=lam, tau_hours=tau, k=k)
    return replace(
        base, participants=participants, opportunities=opportunities, days=days, seed=seed, pulse=pulse_cfg
    )


def _out_dir(path: Path) -> Path:
    if path.exists() and not path.is_dir():
        raise InputError("exists and is not a directory", source="--out-dir")
    return path


@app.command("simulate", cls=OneLineUsage)
@guarded
def simulate_cmd(
    out_dir: OutDirOpt,
    participants: ParticipantsOpt = 10_000,
    opportunities: OpportunitiesOpt = 500,
    days: DaysOpt = 14,
    seed: SeedOpt = 1,
    policy: Annotated[
        list[str] | None,
        typer.Option(
            "--policy",
            help="Policy to run (repeatable; default all but flok_feed): "
            f"{', '.join(defaults.POLICY_NAMES)}.",
        ),
    ] = None,
    lam: LamOpt = defaults.LAM,
    tau_hours: TauOpt = defaults.TAU_HOURS,
    k: KOpt = defaults.K,
    log_dir: Annotated[
        Path | None,
        typer.Option(
            "--log-dir",
            help="Also write the first policy's run as opportunities.csv, participants.csv and "
            "events.csv (the files flok pulse calibrate reads).",
        ),
    ] = None,
) -> None:
    """Simulate a community under each policy; write metrics.csv, report.md, metrics.png, pulse.png."""
    from flok.io.writers import outputs, write_table_csv
    from flok.sim.export import log_tables
    from flok.sim.policies import policies
    from flok.sim.report import markdown_table, metrics_csv, metrics_plot, pulse_plot, report_markdown
    from flok.sim.run import simulate

    cfg = _config(participants, opportunities, days, seed, lam, tau_hours, k)
    out = _out_dir(out_dir)
    policies(policy)  # fail on an unknown name before the run
    result = simulate(cfg, policy)
    plots = ["metrics.png", "pulse.png"]
    with outputs() as files:
        for name, data in (
            ("metrics.csv", metrics_csv(result.rows())),
            ("report.md", report_markdown(result, plots).encode("utf-8")),
            ("metrics.png", metrics_plot(result)),
            ("pulse.png", pulse_plot(result)),
        ):
            with files.open(out / name) as stream:
                stream.write(data)
        if log_dir is not None:
            for name, table in log_tables(result.community, result.outcomes[0]).items():
                with files.open(_out_dir(log_dir) / name) as stream:
                    write_table_csv(table, stream)
    info(markdown_table(result.rows()))
    seconds = result.seconds["total_seconds"]
    info(f"Simulated in {seconds:.1f} s; wrote {out}/metrics.csv, report.md, {', '.join(plots)}")


@app.command("simulate-sweep", cls=OneLineUsage)
@guarded
def simulate_sweep_cmd(
    out_dir: OutDirOpt,
    participants: ParticipantsOpt = 10_000,
    opportunities: OpportunitiesOpt = 500,
    days: DaysOpt = 14,
    seed: SeedOpt = 1,
    repeats: Annotated[
        int, typer.Option(help="Average each setting over this many seeds (seed, seed+1, …).")
    ] = 1,
) -> None:
    """Run the flok policy for a range of λ, τ and k (one at a time); write sweep.csv, sweep.md, sweep.png."""
    from flok.io.writers import outputs
    from flok.sim.report import markdown_table, metrics_csv
    from flok.sim.sweep import SWEEP_COLUMNS, sweep, sweep_plot

    cfg = _config(participants, opportunities, days, seed, defaults.LAM, defaults.TAU_HOURS, defaults.K)
    if repeats < 1:
        raise InputError(f"must be at least 1, got {repeats}", source="--repeats")
    out = _out_dir(out_dir)
    rows = sweep(cfg, repeats=repeats)
    table = markdown_table(rows, SWEEP_COLUMNS)
    with outputs() as files:
        for name, data in (
            ("sweep.csv", metrics_csv(rows, SWEEP_COLUMNS)),
            ("sweep.md", f"# flok policy: λ, τ, k sweep\n\n{table}\n".encode()),
            ("sweep.png", sweep_plot(rows, cfg)),
        ):
            with files.open(out / name) as stream:
                stream.write(data)
    info(table)
    info(f"Wrote {out}/sweep.csv, sweep.md, sweep.png")


@app.command("simulate-regimes", cls=OneLineUsage)
@guarded
def simulate_regimes_cmd(
    out_dir: OutDirOpt,
    seeds: Annotated[int, typer.Option(help="Seeds per regime (1, 2, …, N).")] = 5,
    regime: Annotated[
        list[str] | None, typer.Option("--regime", help="Regime to run (repeatable; default all five).")
    ] = None,
) -> None:
    """Every policy in five regimes × seeds; write regimes.csv, regimes.md, regimes.png, pulse-traces.png.

    docs/simulator.md and the README publish regimes.md as written by
    ``flok simulate-regimes --out-dir docs/sim``.
    """
    from flok.io.writers import outputs
    from flok.sim.regimes import REGIMES, regime_columns, regimes_markdown, regimes_plot, run_regimes
    from flok.sim.report import metrics_csv, pulse_traces

    if seeds < 2:
        raise InputError(f"must be at least 2 (a spread needs two seeds), got {seeds}", source="--seeds")
    names = [r.name for r in REGIMES]
    for name in regime or []:
        if name not in names:
            raise InputError(f"unknown regime '{name}'; regimes are {', '.join(names)}", source="--regime")
    chosen = [r for r in REGIMES if not regime or r.name in regime]
    out = _out_dir(out_dir)
    rows, traces, run = run_regimes(chosen, seeds)
    shown = [traces[p] for p in ("fit_open", "flok_no_pulse", "flok") if p in traces]
    text = regimes_markdown(rows, chosen, seeds)
    with outputs() as files:
        for name, data in (
            ("regimes.csv", metrics_csv(rows, regime_columns())),
            ("regimes.md", text.encode("utf-8")),
            ("regimes.png", regimes_plot(rows)),
            ("pulse-traces.png", pulse_traces(shown, run.community.opportunities.title, run.step_times)),
        ):
            with files.open(out / name) as stream:
                stream.write(data)
    info(text)
    info(f"Wrote {out}/regimes.csv, regimes.md, regimes.png, pulse-traces.png")
