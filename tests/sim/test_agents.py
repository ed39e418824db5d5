"""The behaviour step's building blocks, on inputs small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pytest

from flok.errors import InputError
from flok.sim import SimConfig
from flok.sim.agents import intentions, resolve, sessions, top_per_owner
from flok.sim.policies import policies
from flok.sim.report import cell, metrics_csv


def test_resolve_serves_at_most_the_seats_left() -> None:
    rng = np.random.default_rng(0)
    opp = np.array([0, 0, 0, 1, 2])
    ok, order = resolve(rng, opp, np.array([2, 5, 0]))
    assert ok[:3].sum() == 2  # three want opportunity 0, which has two seats
    assert ok[3] and not ok[4]  # 1 has room, 2 has none
    assert sorted(order.tolist()) == [0, 1, 2, 3, 4]


def test_top_per_owner_keeps_the_best_in_order() -> None:
    owner = np.array([0, 0, 0, 1, 1])
    key = np.array([0.1, 0.9, 0.5, 0.3, 0.3])
    tie = np.array([7, 8, 9, 2, 1])
    pos, rank = top_per_owner(owner, key, tie, 2)
    # owner 0: 0.9 then 0.5; owner 1: a tie at 0.3, lower tie value (1, at position 4) first.
    assert pos.tolist() == [1, 2, 4, 3]
    assert rank.tolist() == [0, 1, 0, 1]


def test_intentions_keep_the_first_attempts_per_session() -> None:
    cfg = SimConfig(click_rate=1.0, position_decay=1.0, rsvp_mid=0.0, rsvp_width=0.01, attempts_per_session=2)
    owner = np.array([0, 0, 0, 1, 1])
    rank = np.array([0, 1, 2, 0, 1])
    utility = np.array([1.0, 0.0, 1.0, 1.0, 1.0])  # utility 0: never clicked
    clicked, nth = intentions(np.random.default_rng(0), cfg, owner, rank, utility)
    assert clicked.tolist() == [True, False, True, True, True]
    assert nth.tolist() == [0, -1, 1, 0, 1]


def test_sessions_only_in_waking_hours() -> None:
    seeking = np.array([True, True, False])
    rate = np.full(3, 1000.0)
    assert sessions(np.random.default_rng(0), seeking, rate, 3.0, 1.0).size == 0
    assert sessions(np.random.default_rng(0), seeking, rate, 12.0, 1.0).tolist() == [0, 1]


def test_csv_cells_are_stable_and_none_is_empty() -> None:
    assert cell(None) == ""
    assert cell(1 / 3) == "0.3333"
    assert metrics_csv([{"policy": "fcfs", "fill_rate": 0.5}], ("policy", "fill_rate", "mean_fit")) == (
        b"policy,fill_rate,mean_fit\nfcfs,0.5000,\n"
    )


def test_unknown_policy_and_bad_config_are_input_errors() -> None:
    with pytest.raises(InputError, match="unknown policy 'nope'"):
        policies(["nope"])
    assert [p.name for p in policies(["flok", "fcfs", "flok"])] == ["flok", "fcfs"]
    assert [p.name for p in policies(None)] == [
        "fcfs",
        "fit",
        "fit_open",
        "fit_push",
        "flok_no_pulse",
        "flok",
        "flok_inclusion",
    ]
    ablation = policies(["flok_feed"])[0]
    assert ablation.capacity_aware and not ablation.rebalance
    with pytest.raises(InputError, match="between 0 and 1"):
        SimConfig(click_rate=1.5)
    with pytest.raises(InputError, match="at least 1"):
        SimConfig(participants=0)
