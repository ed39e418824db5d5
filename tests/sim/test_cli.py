"""``flok simulate`` and ``flok simulate-sweep`` end to end, and their bad arguments."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flok.cli.main import app

SIZE = ["--participants", "200", "--opportunities", "12", "--days", "3"]
HEADER = (
    "policy,oversubscription_rate,oversubscription_feed_rate,fill_rate,matched_share,matched_24h_share,"
    "ttf_rsvp_median_h,ttf_rsvp_p90_h,inclusion_gap,exposure_gini,mean_fit,high_demand_share,"
    "messages_per_participant"
)


def run(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.mark.slow
def test_simulate_writes_table_report_and_plots(tmp_path: Path) -> None:
    res = run("simulate", *SIZE, "--seed", 5, "--out-dir", tmp_path / "a")
    assert res.exit_code == 0, res.output
    out = tmp_path / "a"
    assert sorted(p.name for p in out.iterdir()) == ["metrics.csv", "metrics.png", "pulse.png", "report.md"]
    text = (out / "metrics.csv").read_text()
    assert text.splitlines()[0] == HEADER
    rows = list(csv.DictReader(text.splitlines()))
    assert [r["policy"] for r in rows] == [
        "fcfs",
        "fit",
        "fit_open",
        "fit_push",
        "flok_no_pulse",
        "flok",
        "flok_inclusion",
    ]
    assert (out / "metrics.png").read_bytes()[:4] == b"\x89PNG"
    assert "| flok_inclusion |" in (out / "report.md").read_text()


def test_policy_option_selects_and_orders(tmp_path: Path) -> None:
    res = run("simulate", *SIZE, "--policy", "flok", "--policy", "fcfs", "--out-dir", tmp_path)
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader((tmp_path / "metrics.csv").read_text().splitlines()))
    assert [r["policy"] for r in rows] == ["flok", "fcfs"]
    # Same seed (the default, 1) and policies, same bytes; the run above used seed 5.
    again = run("simulate", *SIZE, "--policy", "flok", "--policy", "fcfs", "--out-dir", tmp_path / "b")
    assert again.exit_code == 0
    assert (tmp_path / "b" / "metrics.csv").read_bytes() == (tmp_path / "metrics.csv").read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--participants", "0"], "--participants: must be at least 1, got 0"),
        (["--days", "-1"], "--days: must be at least 1, got -1"),
        (["--policy", "lottery"], "--policy: unknown policy 'lottery'"),
        (["--k", "0"], "--k: must be a positive number"),
        (["--lam", "-0.1"], "--lam: must be a number ≥ 0"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    res = run("simulate", *SIZE, *args, "--out-dir", tmp_path / "out")
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert not (tmp_path / "out").exists()


def test_out_dir_that_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    res = run("simulate", *SIZE, "--out-dir", target)
    assert res.exit_code == 2
    assert "--out-dir: exists and is not a directory" in res.output


@pytest.mark.slow
def test_sweep_command(tmp_path: Path) -> None:
    res = run(
        "simulate-sweep",
        "--participants",
        "200",
        "--opportunities",
        "10",
        "--days",
        "2",
        "--out-dir",
        tmp_path,
    )
    assert res.exit_code == 0, res.output
    lines = (tmp_path / "sweep.csv").read_text().splitlines()
    assert lines[0].startswith("parameter,value,oversubscription_rate")
    assert len(lines) == 1 + 1 + 15
    assert (tmp_path / "sweep.png").exists()
    bad = run("simulate-sweep", "--repeats", "0", "--out-dir", tmp_path / "x")
    assert bad.exit_code == 2 and "--repeats: must be at least 1" in bad.output


@pytest.mark.slow
def test_simulate_regimes_writes_the_published_files(tmp_path: Path) -> None:
    res = run("simulate-regimes", "--out-dir", tmp_path, "--regime", "roomy", "--seeds", 2)
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["pulse-traces.png", "regimes.csv", "regimes.md", "regimes.png"]
    text = (tmp_path / "regimes.md").read_text()
    assert "| roomy | fit_push |" in text or "| roomy | fit_open |" in text
    rows = list(csv.DictReader((tmp_path / "regimes.csv").read_text().splitlines()))
    assert [r["policy"] for r in rows][:3] == ["fcfs", "fit", "fit_open"] and "matched_share_sd" in rows[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seeds", "1"], "--seeds: must be at least 2"),
        (["--regime", "rainy"], "--regime: unknown regime 'rainy'"),
    ],
)
def test_simulate_regimes_bad_arguments(tmp_path: Path, args: list[str], message: str) -> None:
    res = run("simulate-regimes", *args, "--out-dir", tmp_path / "out")
    assert res.exit_code == 2 and message in res.stderr and not (tmp_path / "out").exists()
