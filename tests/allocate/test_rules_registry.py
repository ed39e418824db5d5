"""The side-rule registry drives the CLI, the JSON options and the form; every rule is optimal.

Each registered rule is crossed with every objective and with seeded lotteries on tiny random
problems; the result must pass Flok's verifier and an independent oracle (tests/oracles.py,
which imports nothing from flok.solvers), and match the oracle's brute-force optimum.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import flok
from flok.cli.main import app
from flok.options import Options
from flok.solvers.rules import (
    RULES,
    Held,
    cli_flags,
    form_fields,
    form_values,
    parse_form,
    rule,
    side_constraints,
)
from tests.oracles import (
    allocation_key,
    brute_force_rules,
    candidate_allocations,
    describe,
    rule_violations,
)
from tests.strategies import RULE_DATA, problems, problems_with_rule

NAMES = [r.name for r in RULES]
EXAMPLES = {
    "forbidden": [["p0", "o0"]],
    "forced": [{"participant_id": "p0", "opportunity_id": "o0"}],
    "quotas": [{"attribute": "track", "value": "x", "max_share": 0.5}],
    "category_limit": {"a": 1, "*": 2},
    "group_mode": "soft",
    "group_penalty": 2,
    "capacity_groups": [{"group_id": "S1", "capacity": 2, "opportunities": ["o0", "o1"]}],
}
"""A valid JSON value for every rule option key (a new key fails the test until added)."""
ORACLE_TAGS = {
    "min_sizes": {"min_size"},
    "forbidden": {"forbidden"},
    "forced": {"forced"},
    "clashes": {"clash"},
    "category_limits": {"category"},
    "quotas": {"quota max", "quota min", "quota share"},
    "groups": {"group"},
    "capacity_groups": {"capacity group"},
}
"""Per rule: the tags tests/oracles.py.rule_violations gives when that rule alone is broken."""


def test_rule_names_are_unique_and_every_rule_has_test_data() -> None:
    assert len(set(NAMES)) == len(NAMES)
    assert sorted(RULE_DATA) == sorted(NAMES)
    assert sorted(ORACLE_TAGS) == sorted(NAMES)
    assert rule("quotas").name == "quotas"


def test_every_rule_flag_is_in_allocate_help() -> None:
    result = CliRunner().invoke(app, ["allocate", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    flags = set(re.findall(r"--[a-z][a-z-]*", result.output))
    for flag in cli_flags():
        assert flag.flag in flags, flag.flag
        assert flag.help.split(" (")[0] in result.output, flag.help
    assert {
        "--quotas",
        "--forced",
        "--forbidden",
        "--category-limit",
        "--group-mode",
        "--capacity-groups",
    } <= flags


@pytest.mark.parametrize("name", NAMES)
def test_every_rule_option_key_is_accepted_in_json_options(name: str) -> None:
    for option in rule(name).options:
        parsed = Options.from_mapping({option.key: EXAMPLES[option.key]})
        assert getattr(parsed, option.key) != getattr(Options(), option.key)
        again = Options.from_mapping({option.key: parsed.to_dict()[option.key]})
        assert getattr(again, option.key) == getattr(parsed, option.key)  # to_dict round-trips
        with pytest.raises(flok.InputError) as exc:
            Options.from_mapping({option.key: object()}, source="campaign.json options")
        assert exc.value.source == "campaign.json options"
        assert exc.value.field == option.key


def test_form_fields_parse_to_values_the_option_parser_accepts() -> None:
    keys = {f.key for f in form_fields()}
    assert keys == {"forbidden", "forced", "quotas", "category_limit", "capacity_groups"}  # dashboard keys
    for f in form_fields():
        Options.from_mapping({f.option: f.parse(f.example)})
    with pytest.raises(flok.InputError) as exc:
        form_fields()[0].parse("{not json")
    assert exc.value.field == form_fields()[0].key


def test_form_round_trips_options_and_reports_the_field() -> None:
    options = {"forced": [["p0", "o0"]], "category_limit": {"a": 1}, "objective": "sum"}
    shown = form_values(options)
    assert set(shown) == {"forced", "category_limit"}
    assert parse_form({**shown, "quotas": "  "}) == {"forced": [["p0", "o0"]], "category_limit": {"a": 1}}
    with pytest.raises(flok.InputError) as exc:
        Options.from_mapping(parse_form({"category_limit": '"lots"'}))
    assert exc.value.field == "category_limit"


def test_json_problem_with_every_rule_key_runs_from_the_cli(tmp_path: Path) -> None:
    problem = {
        "opportunities": [
            {"opportunity_id": "o0", "capacity": 2, "category": "a"},
            {"opportunity_id": "o1", "capacity": 2, "category": "b"},
        ],
        "participants": [
            {"participant_id": p, "track": t, "group": ""} for p, t in (("p0", "x"), ("p1", "y"))
        ],
        "preferences": [
            {"participant_id": p, "opportunity_id": o, "rank": r}
            for p in ("p0", "p1")
            for o, r in (("o0", 1), ("o1", 2))
        ],
        "options": {key: value for key, value in EXAMPLES.items() if key != "forbidden"},
    }
    (tmp_path / "problem.json").write_text(json.dumps(problem))
    out = tmp_path / "a.csv"
    result = CliRunner().invoke(app, ["allocate", str(tmp_path / "problem.json"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "p0,o0" in out.read_text()


def _case(rule_name: str) -> st.SearchStrategy[tuple[flok.Problem, str]]:
    objectives = st.sampled_from(["sum", "lexicographic", "maximin"])
    seeds = st.none() | st.integers(0, 1000)
    return st.tuples(objectives, seeds).flatmap(
        lambda os_: problems_with_rule(rule_name, objective=os_[0], seed=os_[1]).map(lambda p: (p, os_[0]))
    )


@pytest.mark.parametrize("name", NAMES)
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(data=st.data())
def test_every_rule_with_every_objective_and_seed_is_valid_and_optimal(
    name: str, data: st.DataObject
) -> None:
    problem, objective = data.draw(_case(name))
    note(describe(problem))
    best = brute_force_rules(problem)
    for strategy in ("auto", "cp_sat"):
        if best is None:
            with pytest.raises(flok.InfeasibleError):
                flok.allocate(problem, strategy)
            continue
        result = flok.allocate(problem, strategy)
        note(f"{strategy} -> {result.strategy}: {result.assignments()}")
        assert flok.verify(problem, result.participant, result.opportunity) == []
        assert rule_violations(problem, result.participant, result.opportunity) == []
        assert result.status == "optimal"
        assert allocation_key(problem, result.participant, result.opportunity) == best, objective


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_verifier_agrees_with_the_oracle_on_every_allocation(name: str, data: st.DataObject) -> None:
    """Valid or not, every small allocation gets the same verdict from both checkers."""
    problem = data.draw(problems_with_rule(name, objective="sum", seed=None, max_participants=3))
    note(describe(problem))
    check, tags = rule(name).check, ORACLE_TAGS[name]
    for part, opp in candidate_allocations(problem, anything=True):
        flok_says = flok.verify(problem, part, opp)
        oracle_says = rule_violations(problem, part, opp)
        assert bool(flok_says) == bool(oracle_says), (part.tolist(), opp.tolist(), flok_says, oracle_says)
        this_rule = check(Held(problem, part, opp))
        assert bool(this_rule) == bool(tags & set(oracle_says)), (part.tolist(), opp.tolist(), this_rule)


@pytest.mark.parametrize("strategy", ["mip", "cp_sat"])
def test_a_seed_keeps_the_soft_group_penalty(strategy: str) -> None:
    # p1 and p3 (group g1) either sit together in o0 (ranks 2+2, 2 separated pairs with p0)
    # or apart (ranks 2+1, 3 separated pairs): at penalty 2, together costs 8 and apart 9.
    problem = flok.Problem.from_arrays(
        opportunity_ids=["o0", "o1", "o2"],
        capacity=[2, 0, 1],
        pref_participant=[1, 1, 3, 3],
        pref_opportunity=[1, 0, 2, 0],
        rank=[1, 2, 1, 2],
        participant_ids=["p0", "p1", "p2", "p3"],
        group=["g1", "g1", "", "g1"],
        options=Options(group_mode="soft", group_penalty=2.0),
    )
    assert flok.allocate(problem, strategy).seat_of()["p3"] == "o0"  # holds without a seed
    seeded = flok.allocate(problem.with_options(seed=0), strategy)
    assert seeded.seat_of()["p3"] == "o0"


@settings(max_examples=40, deadline=None)
@given(problems(max_participants=4, max_opportunities=3, options=False))
def test_plain_problems_have_no_side_constraints(problem: flok.Problem) -> None:
    assert side_constraints(problem) == []
    assert flok.allocate(problem).strategy in ("native_flow", "min_cost_flow")
    assert np.all(
        np.bincount(flok.allocate(problem).opportunity, minlength=problem.n_opportunities) <= problem.capacity
    )
