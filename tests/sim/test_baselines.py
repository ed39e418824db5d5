"""Issue 17 items 9, 13–15: the baselines, declines, the first-timer model, regimes and plots."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from flok.pulse import PulseConfig
from flok.sim import SimConfig, simulate
from flok.sim.community import generate, titles
from flok.sim.policies import BASELINES, DEFAULT, POLICIES
from flok.sim.regimes import (
    REGIMES,
    Regime,
    headline_table,
    regimes_markdown,
    regimes_plot,
    run_regimes,
    strongest_baseline,
)
from flok.sim.report import metrics_csv, pulse_traces
from flok.sim.run import prepare, run_policy

SMALL = SimConfig(participants=600, opportunities=40, days=7, seed=3)
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def result():
    return simulate(SMALL)


def test_every_baseline_is_in_metrics_csv_and_a_seed_reproduces_it(result) -> None:
    names = [o.policy for o in result.outcomes]
    assert names == ["fcfs", "fit", "fit_open", "fit_push", "flok_no_pulse", "flok", "flok_inclusion"]
    assert set(BASELINES) <= set(DEFAULT)
    text = metrics_csv(result.rows()).decode()
    for name in names:
        assert f"\n{name}," in text
    assert metrics_csv(simulate(SMALL).rows()).decode() == text  # same seed, same bytes
    assert metrics_csv(simulate(replace(SMALL, seed=4)).rows()).decode() != text


def test_oversubscription_is_counted_with_and_without_invitations(result) -> None:
    for o in result.outcomes:
        c, m = o.counts, o.metrics
        assert m["oversubscription_rate"] == pytest.approx(c["full"] / c["attempts"])
        assert m["oversubscription_feed_rate"] == pytest.approx(c["feed_full"] / c["feed_attempts"])
        assert c["feed_attempts"] <= c["attempts"] and c["feed_full"] <= c["full"]
    by = {o.policy: o for o in result.outcomes}
    # Feeds that show full opportunities have no invitations: the two rates are one.
    for name in ("fcfs", "fit", "fit_open"):
        assert by[name].counts["attempts"] == by[name].counts["feed_attempts"]
    # Naive pushes race for the same last seats: refused pushes raise the overall rate.
    push = by["fit_push"]
    assert push.counts["attempts"] > push.counts["feed_attempts"]
    assert push.metrics["oversubscription_rate"] > push.metrics["oversubscription_feed_rate"]


def test_fit_open_hides_full_opportunities_and_fit_does_not(result) -> None:
    by = {o.policy: o for o in result.outcomes}
    assert by["fit_open"].metrics["oversubscription_rate"] < by["fit"].metrics["oversubscription_rate"]


def test_flok_no_pulse_is_flok_with_lambda_zero() -> None:
    community, pairs = prepare(SMALL)
    off = run_policy(SMALL, community, pairs, POLICIES["flok_no_pulse"])
    zero = replace(SMALL, pulse=replace(SMALL.pulse, lam=0.0))
    flok_zero = run_policy(zero, community, pairs, POLICIES["flok"])
    assert off.metrics == flok_zero.metrics


def test_declines_are_logged_and_make_opportunities_cold(result) -> None:
    from flok.pulse.demand import ACTIONS

    flok = next(o for o in result.outcomes if o.policy == "flok")
    _, _, action, _ = flok.events
    assert (action == ACTIONS.index("declined")).sum() == flok.counts["declines"] > 0
    listed = flok.pulse_history[~np.isnan(flok.pulse_history)]
    assert listed.min() < 50.0 < listed.max()  # cold ones exist, so the boost can act


def test_pulse_down_ranks_a_hot_opportunity_for_a_weak_match_only() -> None:
    """Item 9: pulse acts in the feed. "High demand" (70) costs λ·20 = 0.2 of fit."""
    pulse = np.array([75.0, 50.0])  # opportunity 0 is hot, 1 quiet
    opp = np.array([0, 1])
    pop = np.zeros(2)
    lam = PulseConfig().lam
    weak = np.array([0.70, 0.62])
    strong = np.array([0.95, 0.62])
    flok, off = POLICIES["flok"], POLICIES["flok_no_pulse"]
    assert np.argmax(off.feed_key(weak, opp, pulse, pop, lam)) == 0
    assert np.argmax(flok.feed_key(weak, opp, pulse, pop, lam)) == 1
    assert np.argmax(flok.feed_key(strong, opp, pulse, pop, lam)) == 0
    cold = np.array([80.0, 45.0])  # the quiet one after declines: surfaced a little more
    assert flok.feed_key(weak, opp, cold, pop, lam)[1] > weak[1]


def test_first_timer_model_is_the_same_in_every_regime() -> None:
    """First-timers (who they are, when they join, how easily they give up) do not depend on the
    regime knobs, so their inclusion result compares like with like across regimes."""
    same_size = [r.config for r in REGIMES if r.config.participants == REGIMES[2].config.participants]
    assert len(same_size) >= 3
    people = [generate(replace(c, seed=2)).participants for c in same_size]
    for p in people[1:]:
        assert np.array_equal(p.first_timer, people[0].first_timer)
        ft = p.first_timer
        assert np.array_equal(p.joined_at[ft], people[0].joined_at[ft])
    assert len({(c.give_up_after_full_first_timer, c.first_timer_share) for c in same_size}) == 1


def test_staggered_and_bursty_regimes_change_what_they_say() -> None:
    base = REGIMES[2].config
    by = {r.name: r.config for r in REGIMES}
    plain, late = generate(base), generate(by["staggered"])
    others = ~plain.participants.first_timer
    assert (plain.participants.joined_at[others] == plain.t0).all()
    assert (late.participants.joined_at[others] > late.t0).mean() == pytest.approx(0.8, abs=0.05)
    hits = generate(by["bursty"])
    assert hits.hit is not None and 0.03 < hits.hit.mean() < 0.2
    o = int(np.flatnonzero(hits.hit)[0])
    early, later = hits.appeal_at(hits.created_at[o]), hits.appeal_at(hits.created_at[o] + 40 * 3600)
    assert early[o] - hits.appeal[o] == pytest.approx(0.3) and later[o] == hits.appeal[o]
    assert len(REGIMES) >= 5


TINY = (Regime("tiny", "a tiny test regime", SimConfig(participants=300, opportunities=25, days=5)),)


def test_regime_rows_have_mean_and_spread_and_reproduce() -> None:
    first, traces, run = run_regimes(TINY, seeds=2)
    rows: list[dict[str, Any]] = list(first)
    again, _, _ = run_regimes(TINY, seeds=2)
    assert [{k: v for k, v in r.items()} for r in rows] == [{k: v for k, v in r.items()} for r in again]
    assert [r["policy"] for r in rows] == list(DEFAULT)
    for r in rows:
        values = r["_seeds"]["matched_share"]
        assert r["matched_share"] == pytest.approx(np.mean(values))
        assert r["matched_share_sd"] == pytest.approx(np.std(values, ddof=1))
    base = strongest_baseline(rows, "tiny")
    assert base in BASELINES
    best = max(float(r["matched_share"]) for r in rows if r["policy"] in BASELINES)
    assert next(float(r["matched_share"]) for r in rows if r["policy"] == base) == best
    assert f"| tiny | {base} |" in headline_table(rows)
    assert regimes_plot(rows)[:4] == b"\x89PNG"
    png = pulse_traces([traces["flok"]], run.community.opportunities.title, run.step_times)
    assert png[:4] == b"\x89PNG"


def test_opportunity_titles_say_what_and_when() -> None:
    from flok.sim.community import T0

    assert titles([["jazz", "music"]], np.array([T0 + 24 * 3600 + 18.5 * 3600])) == ["jazz #0, Tue 18:30"]


def test_published_tables_are_the_generated_ones() -> None:
    """docs/simulator.md and the README publish docs/sim/regimes.md as generated."""
    generated = (DOCS / "sim" / "regimes.md").read_text(encoding="utf-8")
    headline = next(block for block in generated.split("\n\n") if block.startswith("| regime | strongest"))
    table = next(block for block in generated.split("\n\n") if block.startswith("| regime | policy"))
    simulator = (DOCS / "simulator.md").read_text(encoding="utf-8")
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    assert headline in simulator and table in simulator and headline in readme
    assert "flok simulate-regimes --out-dir docs/sim" in simulator
    assert "flok simulate-regimes --out-dir docs/sim" in readme
    for png in ("regimes.png", "pulse-traces.png"):
        assert (DOCS / "sim" / png).read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_a_fresh_run_matches_the_published_tables_to_the_digit() -> None:
    rows, _, _ = run_regimes()
    generated = (DOCS / "sim" / "regimes.md").read_text(encoding="utf-8")
    assert regimes_markdown(rows, REGIMES, 5) == generated


def test_five_regimes_five_seeds_and_the_label_fires() -> None:
    from flok.sim.regimes import SEEDS

    names = {r.name for r in REGIMES}
    assert {"crowded", "roomy", "short_notice", "staggered", "bursty"} <= names and SEEDS >= 5
    by = {r.name: r.config for r in REGIMES}
    seats = lambda c: c.opportunities * (c.capacity_min + c.capacity_max) / 2  # noqa: E731 (upper bound)
    assert by["crowded"].participants > 0.5 * seats(by["crowded"])
    assert by["roomy"].participants < 0.5 * seats(by["roomy"])
    assert by["short_notice"].lead_days_max < REGIMES[0].config.lead_days_min


def test_high_demand_fires_under_the_calibrated_scale(result) -> None:
    """Item 8: with the old scale "High demand" almost never fired."""
    flok = next(o for o in result.outcomes if o.policy == "flok")
    assert flok.metrics["high_demand_share"] > 0.0
    assert np.nanmax(flok.pulse_history) >= 70.0
