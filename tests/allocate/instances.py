"""Shared known instances for the allocation tests."""

from __future__ import annotations

import numpy as np

import flok
from flok.bench.generate import zipf_instance


def time_limited_problem() -> flok.Problem:
    """400 people with groups, minimum sizes and a share quota, lexicographic, 1 s time limit:
    hard enough that CP-SAT may stop before proving every stage on a busy machine."""
    inst = zipf_instance(400, 20, seed=3)
    rng = np.random.default_rng(0)
    return flok.Problem.from_arrays(
        opportunity_ids=[f"o{i}" for i in range(20)],
        capacity=inst.capacity,
        pref_participant=inst.pref_participant,
        pref_opportunity=inst.pref_opportunity,
        rank=inst.rank,
        n_participants=400,
        group=[f"g{i // 3}" if i < 120 else "" for i in range(400)],
        min_size=np.full(20, 5),
        participant_attributes={"cohort": rng.choice(["a", "b"], size=400)},
        options=flok.Options(
            objective="lexicographic",
            time_limit=1.0,
            quotas=(flok.model.Quota(attribute="cohort", value="a", max_share=0.6),),
        ),
    )
