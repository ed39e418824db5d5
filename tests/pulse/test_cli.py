"""``flok pulse`` and ``flok rebalance`` end to end, and every bad-input case (exit 2, one line, no file)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flok.cli.main import app

runner = CliRunner()

OPPS = """opportunity_id,capacity,title,start,end,lat,lon,tags
jazz,4,Jazz night,2026-11-23T19:00+00:00,2026-11-23T21:00+00:00,52.3702,4.8952,music;jazz
choir,6,Open choir,2026-11-23T19:00+01:00,2026-11-23T21:00+01:00,52.3600,4.8850,music; Singing
online,0,Webinar,,,,,tech
"""
PEOPLE = """participant_id,interests,lat,lon,availability,first_timer,joined_at
ana,music;jazz,52.371,4.896,2026-11-23T18:00+00:00/2026-11-23T23:00+00:00,false,2026-11-20T10:00+00:00
ben,singing,52.365,4.890,2026-11-23T17:00+00:00/2026-11-23T23:00+00:00;2026-11-24T06:00Z/2026-11-24T09:00Z,true,
cai,chess,,,,,
"""
EVENTS = """event_id,participant_id,opportunity_id,action,at
e1,x1,jazz,accepted,2026-11-23T08:00+00:00
e2,x2,jazz,clicked,2026-11-23T14:00+00:00
e2,x2,jazz,clicked,2026-11-23T14:00+00:00
e3,ana,choir,declined,2026-11-23T20:00+00:00
e4,x3,jazz,shown,2026-11-23T20:00+00:00
"""
TAU = 12 * 3600


def _files(tmp: Path, opps: str = OPPS, people: str = PEOPLE, events: str = EVENTS) -> dict[str, Path]:
    paths = {
        "opps": tmp / "opportunities.csv",
        "people": tmp / "participants.csv",
        "events": tmp / "events.csv",
    }
    for key, text in (("opps", opps), ("people", people), ("events", events)):
        paths[key].write_text(text, encoding="utf-8")
    return paths


def _pulse(tmp: Path, *extra: str, **texts: str):
    f = _files(tmp, **texts)
    args = [
        "pulse",
        "--opportunities",
        str(f["opps"]),
        "--events",
        str(f["events"]),
        "--out",
        str(tmp / "pulse.csv"),
    ]
    return runner.invoke(app, [*args, *extra])


def _rebalance(tmp: Path, *extra: str, **texts: str):
    f = _files(tmp, **texts)
    args = [
        "rebalance",
        "--opportunities",
        str(f["opps"]),
        "--participants",
        str(f["people"]),
        "--events",
        str(f["events"]),
        "--out",
        str(tmp / "assignments.csv"),
        "--report",
        str(tmp / "report.json"),
    ]
    return runner.invoke(app, [*args, *extra])


def test_pulse_writes_demand_at_the_latest_event(tmp_path: Path) -> None:
    result = _pulse(tmp_path)
    assert result.exit_code == 0, result.output
    rows = {r["opportunity_id"]: r for r in csv.DictReader((tmp_path / "pulse.csv").open())}
    assert list(rows) == ["jazz", "choir", "online"]
    # read at 20:00: +1 from 08:00 (12 h old), +0.2 from 14:00 (6 h old; its repeat ignored)
    jazz = math.exp(-1) + 0.2 * math.exp(-0.5)
    assert float(rows["jazz"]["demand"]) == pytest.approx(jazz, abs=1e-6)
    # jazz started at 19:00: no demand is still to come before sign-up, so it reads neutral.
    assert float(rows["jazz"]["pressure"]) == 0.0 and float(rows["jazz"]["pulse"]) == 50.0
    assert float(rows["choir"]["demand"]) == pytest.approx(-0.5)
    assert rows["online"]["pulse"] == ""  # capacity 0: no seats, pulse undefined (issue 17)


def test_pulse_at_a_given_time_with_other_tau_and_k(tmp_path: Path) -> None:
    result = _pulse(tmp_path, "--at", "2026-11-23T15:00:00+01:00", "--tau-hours", "6", "--k", "2")
    assert result.exit_code == 0, result.output
    rows = {r["opportunity_id"]: r for r in csv.DictReader((tmp_path / "pulse.csv").open())}
    jazz = math.exp(-6 / 6) + 0.2 * math.exp(-0 / 6)  # 14:00 UTC: 6 h after the accept, at the click
    assert float(rows["jazz"]["demand"]) == pytest.approx(jazz, abs=1e-6)
    # Sign-up closes at 18:00 UTC, 4 h ahead; 3 of 4 seats left (x1 holds one):
    # pressure = D · (4 h / τ) / 3 seats, pulse = 100·σ(pressure / k).
    x = jazz * (4 / 6) / 3
    assert float(rows["jazz"]["pressure"]) == pytest.approx(x, abs=1e-6)
    assert float(rows["jazz"]["pulse"]) == pytest.approx(100 / (1 + math.exp(-x / 2)), abs=1e-4)
    assert float(rows["choir"]["demand"]) == 0.0  # the decline comes later


def test_rebalance_writes_a_row_per_participant_and_a_report(tmp_path: Path) -> None:
    # cai shares nothing and has no place or times: S = 0.3·0.5 + 0.2·1 = 0.35, below the floor.
    # At 15:00, before jazz (19:00) and choir (18:00 UTC) start (the latest event is at 20:00).
    result = _rebalance(tmp_path, "--min-score", "0.4", "--at", "2026-11-23T15:00+00:00")
    assert result.exit_code == 0, result.output
    assert "Recommended seats to 2 of 3 participants" in result.stdout
    rows = {r["participant_id"]: r for r in csv.DictReader((tmp_path / "assignments.csv").open())}
    assert rows["ana"]["opportunity_id"] == "jazz"
    assert "shares 2 interests (jazz, music)" in rows["ana"]["reasons"]
    # choir is 18:00–20:00 UTC: inside ben's first window
    assert rows["ben"]["opportunity_id"] == "choir"
    assert rows["cai"]["opportunity_id"] == "" and rows["cai"]["score"] == ""
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["recommended"] == 2
    assert report["fill_rate_before"] == pytest.approx(1 / 10)
    assert report["fill_rate_after"] == pytest.approx(3 / 10)
    assert report["oversubscription_rate"] == 0.0


def test_rebalance_to_stdout(tmp_path: Path) -> None:
    result = _rebalance(tmp_path, "--out", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith('"participant_id"') or result.stdout.startswith("participant_id")
    assert "Recommended" in result.stderr


def _replace(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


BAD = [
    (
        "events",
        _replace(EVENTS, "2026-11-23T14:00+00:00", "2026-11-23T14:00"),
        "events.csv, row 3, field 'at'",
    ),
    ("events", _replace(EVENTS, "clicked", "liked"), "events.csv, row 3, field 'action'"),
    ("events", _replace(EVENTS, "x3,jazz", "x3,salsa"), "events.csv, row 6, field 'opportunity_id'"),
    ("events", EVENTS.replace(",at\n", ",when\n"), "events.csv, row 1, field 'at'"),
    ("events", _replace(EVENTS, "e1,x1,", "e1,,"), "events.csv, row 2, field 'participant_id'"),
    ("events", "", "events.csv, row 1"),
    ("opps", _replace(OPPS, "choir,6", "choir,-1"), "opportunities.csv, row 3, field 'capacity'"),
    ("opps", _replace(OPPS, "choir,6", "jazz,6"), "opportunities.csv, row 3, field 'opportunity_id'"),
    ("opps", _replace(OPPS, "2026-11-23T19:00+00:00", "tonight"), "opportunities.csv, row 2, field 'start'"),
    (
        "opps",
        _replace(OPPS, "2026-11-23T21:00+01:00", "2026-11-23T17:00+01:00"),
        "opportunities.csv, row 3, field 'end'",
    ),
    ("opps", _replace(OPPS, "52.3600", "152.36"), "opportunities.csv, row 3, field 'lat'"),
    ("opps", _replace(OPPS, "52.3600,4.8850", "52.3600,"), "opportunities.csv, row 3, field 'lon'"),
    ("opps", OPPS.replace("capacity", "seats"), "opportunities.csv, row 1, field 'capacity'"),
]
BAD_PEOPLE = [
    (
        _replace(PEOPLE, "/2026-11-23T23:00+00:00,false", "-2026-11-23T23:00+00:00,false"),
        "row 2, field 'availability'",
    ),
    (_replace(PEOPLE, "2026-11-24T06:00Z", "2026-11-24T06:00"), "row 3, field 'availability'"),
    (
        _replace(PEOPLE, "2026-11-24T06:00Z/2026-11-24T09:00Z", "2026-11-24T09:00Z/2026-11-24T06:00Z"),
        "row 3, field 'availability'",
    ),
    (_replace(PEOPLE, ",true,", ",maybe,"), "row 3, field 'first_timer'"),
    (_replace(PEOPLE, "2026-11-20T10:00+00:00", "2026-11-20"), "row 2, field 'joined_at'"),
    (_replace(PEOPLE, "cai,", "ana,"), "row 4, field 'participant_id'"),
]


def _assert_one_line_and_nothing_written(result, where: str, tmp: Path) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert where in lines[0]
    leftovers = {p.name for p in tmp.iterdir()} - {"opportunities.csv", "participants.csv", "events.csv"}
    assert not leftovers


@pytest.mark.parametrize(("which", "text", "where"), BAD)
def test_pulse_bad_input(tmp_path: Path, which: str, text: str, where: str) -> None:
    result = _pulse(tmp_path, **{which: text})
    _assert_one_line_and_nothing_written(result, where, tmp_path)


@pytest.mark.parametrize(("which", "text", "where"), BAD[:3] + BAD[6:9])
def test_rebalance_bad_input_in_shared_files(tmp_path: Path, which: str, text: str, where: str) -> None:
    _assert_one_line_and_nothing_written(_rebalance(tmp_path, **{which: text}), where, tmp_path)


@pytest.mark.parametrize(("text", "where"), BAD_PEOPLE)
def test_rebalance_bad_participants(tmp_path: Path, text: str, where: str) -> None:
    result = _rebalance(tmp_path, people=text)
    _assert_one_line_and_nothing_written(result, f"participants.csv, {where}", tmp_path)


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (["--at", "2026-11-23 15:00"], "--at"),
        (["--tau-hours", "0"], "--tau-hours"),
        (["--k", "-1"], "--k"),
    ],
)
def test_bad_options(tmp_path: Path, args: list[str], where: str) -> None:
    _assert_one_line_and_nothing_written(_pulse(tmp_path, *args), where, tmp_path)


def test_rebalance_bad_model_file(tmp_path: Path) -> None:
    (tmp_path / "model.json").write_text('{"features": ["interest"], "coef": [1], "intercept": 0}')
    result = _rebalance(tmp_path, "--model", str(tmp_path / "model.json"))
    assert result.exit_code == 2 and "model.json" in result.stderr
    assert not (tmp_path / "assignments.csv").exists()


def test_pulse_with_an_empty_event_log_is_neutral(tmp_path: Path) -> None:
    """A community with no feedback yet: every opportunity has demand 0 and pulse 50."""
    (tmp_path / "opportunities.csv").write_text("opportunity_id,capacity\njazz,5\nchoir,0\n")
    (tmp_path / "events.csv").write_text("event_id,participant_id,opportunity_id,action,at\n")
    result = runner.invoke(
        app,
        [
            "pulse",
            "--opportunities",
            str(tmp_path / "opportunities.csv"),
            "--events",
            str(tmp_path / "events.csv"),
            "--out",
            str(tmp_path / "p.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "p.csv").open()))
    assert [(r["opportunity_id"], float(r["demand"])) for r in rows] == [("jazz", 0.0), ("choir", 0.0)]
    assert float(rows[0]["pulse"]) == 50.0


def test_rebalance_never_recommends_started_events(tmp_path: Path) -> None:
    """Issue 17 item 1: read at the latest event (20:00), jazz (19:00) and choir (18:00 UTC) have
    started; two days later everything has ended. Nothing is recommended either time."""
    for extra in ((), ("--at", "2026-11-25T12:00+00:00")):
        result = _rebalance(tmp_path, *extra)
        assert result.exit_code == 0, result.output
        assert "Recommended seats to 0 of 3 participants" in result.stdout
        rows = list(csv.DictReader((tmp_path / "assignments.csv").open()))
        assert all(r["opportunity_id"] == "" for r in rows)


def test_rebalance_lead_hours_closes_sign_up_before_the_start(tmp_path: Path) -> None:
    # At 17:30 choir (18:00 UTC) starts in 30 min: within the default 1 h lead, open with 0.25 h.
    # (ben–jazz: no shared interest, 0.5 km: S = 0.3·0.98/0.8 ≈ 0.37, above the 0.3 floor)
    at = ("--at", "2026-11-23T17:30+00:00", "--min-score", "0.3")
    result = _rebalance(tmp_path, *at)
    assert result.exit_code == 0, result.output
    rows = {r["participant_id"]: r for r in csv.DictReader((tmp_path / "assignments.csv").open())}
    assert rows["ben"]["opportunity_id"] == "jazz"  # choir is closed; jazz (19:00) is not
    result = _rebalance(tmp_path, *at, "--lead-hours", "0.25")
    rows = {r["participant_id"]: r for r in csv.DictReader((tmp_path / "assignments.csv").open())}
    assert rows["ben"]["opportunity_id"] == "choir"


FUTURE = EVENTS + "e9,x9,jazz,accepted,2099-01-01T00:00+00:00\n"


def test_pulse_refuses_an_event_from_the_future(tmp_path: Path) -> None:
    """Issue 17 item 2: one event stamped far ahead froze demand (decay runs from the latest)."""
    result = _pulse(tmp_path, events=FUTURE)
    _assert_one_line_and_nothing_written(result, "events.csv, row 7, field 'at'", tmp_path)
    assert "in the future" in result.stderr
    result = _rebalance(tmp_path, events=FUTURE)
    _assert_one_line_and_nothing_written(result, "events.csv, row 7, field 'at'", tmp_path)


def test_pulse_accepts_an_event_within_the_clock_skew(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    soon = (datetime.now(UTC) + timedelta(seconds=60)).isoformat()
    result = _pulse(tmp_path, events=EVENTS + f"e9,x9,jazz,accepted,{soon}\n")
    assert result.exit_code == 0, result.output


def test_rebalance_fit_weights_from_the_command_line(tmp_path: Path) -> None:
    """Issue 17 item 12: only interest counts → ana's fit on jazz is her interest share, 1.0."""
    at = ("--at", "2026-11-23T15:00+00:00")
    result = _rebalance(
        tmp_path, *at, "--weight", "interest=1", "--weight", "distance=0", "--weight", "schedule=0"
    )
    assert result.exit_code == 0, result.output
    rows = {r["participant_id"]: r for r in csv.DictReader((tmp_path / "assignments.csv").open())}
    assert rows["ana"]["opportunity_id"] == "jazz" and float(rows["ana"]["fit"]) == pytest.approx(1.0)
    default = _rebalance(tmp_path, *at)
    assert default.exit_code == 0
    rows = {r["participant_id"]: r for r in csv.DictReader((tmp_path / "assignments.csv").open())}
    assert float(rows["ana"]["fit"]) < 1.0


@pytest.mark.parametrize(
    "args",
    [
        ["--weight", "charm=1"],
        ["--weight", "interest"],
        ["--weight", "interest=-1"],
        ["--weight", "interest=0", "--weight", "distance=0", "--weight", "schedule=0"],
        ["--no-location", "nowhere"],
        ["--lead-hours", "-1"],
    ],
)
def test_rebalance_bad_fit_options(tmp_path: Path, args: list[str]) -> None:
    where = args[0]
    _assert_one_line_and_nothing_written(_rebalance(tmp_path, *args), where, tmp_path)


def test_rebalance_no_location_rule(tmp_path: Path) -> None:
    """Issue 17 item 7: cai gave no location. 'anywhere' (default) lets a placed opportunity
    through; 'online_only' offers only opportunities without a location."""
    people = PEOPLE.replace("cai,chess,,,,,", "cai,music,,,,,")
    at = ("--at", "2026-11-23T15:00+00:00")
    result = _rebalance(tmp_path, *at, people=people)
    assert result.exit_code == 0, result.output
    rows = {r["participant_id"]: r for r in csv.DictReader((tmp_path / "assignments.csv").open())}
    assert rows["cai"]["opportunity_id"] in ("jazz", "choir")
    assert "location not given" in rows["cai"]["reasons"]
    result = _rebalance(tmp_path, *at, "--no-location", "online_only", people=people)
    assert result.exit_code == 0, result.output
    rows = {r["participant_id"]: r for r in csv.DictReader((tmp_path / "assignments.csv").open())}
    assert rows["cai"]["opportunity_id"] == ""  # the only online one has no seats


# jazz (4 seats) fills by 10:00 and refuses one more; choir only gets a click.
RAN_OUT = """event_id,participant_id,opportunity_id,action,at
r1,x1,jazz,clicked,2026-11-23T07:00+00:00
r2,x1,jazz,accepted,2026-11-23T08:00+00:00
r3,x2,jazz,accepted,2026-11-23T08:30+00:00
r4,x3,jazz,accepted,2026-11-23T09:00+00:00
r5,x4,jazz,accepted,2026-11-23T10:00+00:00
r6,x5,jazz,full,2026-11-23T10:05+00:00
r7,ana,choir,clicked,2026-11-23T09:00+00:00
"""


def _calibrate(tmp: Path, *extra: str, events: str = RAN_OUT):
    f = _files(tmp, events=events)
    args = ["pulse", "calibrate", str(f["events"]), "--opportunities", str(f["opps"])]
    return runner.invoke(app, [*args, *extra])


def test_calibrate_writes_settings_that_pulse_and_rebalance_read(tmp_path: Path) -> None:
    result = _calibrate(tmp_path, "--out", str(tmp_path / "cal.json"))
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "cal.json").read_text())
    assert json.loads(result.stdout) == doc
    # jazz's highest reading with a seat left: after the 3rd RSVP at 09:00, 1 of 4 seats left,
    # sign-up closes at 18:00 (9 h away).
    d8 = 0.2 * math.exp(-1 / 12) + 1  # at 08:00
    d9 = d8 * math.exp(-1 / 12) + math.exp(-0.5 / 12) + 1  # 08:30, then 09:00
    signal = d9 * (9 / 12) / 1
    k = doc["config"]["k"]
    assert doc["evidence"]["over_demanded"] == 1 and doc["evidence"]["signal_median"] == pytest.approx(
        signal, abs=1e-4
    )
    assert 0.9 * signal / math.log(7 / 3) < k <= signal / math.log(7 / 3)
    assert doc["evidence"]["lam_source"] == "default" and doc["config"]["lam"] == 0.01
    again = _pulse(tmp_path, "--config", str(tmp_path / "cal.json"), events=RAN_OUT)
    assert again.exit_code == 0, again.output
    rows = {r["opportunity_id"]: r for r in csv.DictReader((tmp_path / "pulse.csv").open())}
    x = float(rows["choir"]["pressure"])
    assert x > 0 and float(rows["choir"]["pulse"]) == pytest.approx(100 / (1 + math.exp(-x / k)), abs=1e-3)
    with_people = _calibrate(tmp_path, "--participants", str(tmp_path / "participants.csv"))
    # two eligible options at most per person here: λ needs four
    assert with_people.exit_code == 2 and "λ cannot be calibrated" in with_people.stderr


@pytest.mark.parametrize(
    ("extra", "events", "where"),
    [
        ((), EVENTS, "k cannot be calibrated"),
        (("--positions", "0"), RAN_OUT, "--positions: must be at least 1"),
    ],
)
def test_calibrate_bad_input_exits_2(tmp_path: Path, extra: tuple[str, ...], events: str, where: str) -> None:
    _assert_one_line_and_nothing_written(_calibrate(tmp_path, *extra, events=events), where, tmp_path)


def test_pulse_config_file_errors_and_missing_options(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"kk": 1}')
    result = _pulse(tmp_path, "--config", str(tmp_path / "bad.json"))
    assert result.exit_code == 2 and "unknown pulse setting 'kk'" in result.stderr
    (tmp_path / "bad.json").unlink()
    old = tmp_path / "old.json"
    old.write_text('{"k": 5, "lambda": 0.004, "tau_hours": 12}')  # written before the pressure scale
    assert _pulse(tmp_path, "--config", str(old)).exit_code == 0
    old.unlink()
    (tmp_path / "pulse.csv").unlink()
    missing = runner.invoke(app, ["pulse", "--events", str(tmp_path / "events.csv"), "--out", "-"])
    assert missing.exit_code == 2 and "missing option --opportunities" in missing.stderr
