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
KOpt = Annotated[float, typer.Option("--k", help="Pulse scale: L = k·capacity.")]


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
            + ", ".join(defaults.POLICY_NAMES)
            + ".",
        ),
    ] = None,
    lam: LamOpt = defaults.LAM,
    tau_hours: TauOpt = defaults.TAU_HOURS,
    k: KOpt = defaults.K,
) -> None:
    """Simulate a community under each policy; write metrics.csv, report.md, metrics.png, pulse.png."""
    from flok.io.writers import outputs
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
