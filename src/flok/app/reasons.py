"""Why each unassigned participant has no seat, stored compactly with the run so pages can show it.

The engine's ``explanations`` cover everyone below their first choice, one sentence per better
option: at 100,000 participants that is megabytes, and the run's stored report leaves it out
(``flok.app.worker.jobs.stored_report``). The dashboard needs the reasons of the unassigned,
one page at a time, so the allocation run keeps just those, as numbers:

    {"texts": ["{opp} was full: its 2 seat(s) went to …", …],   # each distinct sentence once
     "opportunities": ["MON-09", …],                               # each named opportunity once
     "people": {"ana": [0, 0, 3, 1], …}}                           # (opportunity, text) pairs

in the participant's order of preference. A sentence keeps ``{opp}`` where the opportunity goes,
so a page names it by its title. Above ``MAX_STORED`` characters (far beyond 100,000 people with
five choices each) the reasons are not stored and the page says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from flok.allocation import Allocation
from flok.explain import TEXT

KEY = "unassigned_reasons"
MAX_STORED = 8 * 1024 * 1024  # 100,000 people, 2,000 opportunities, 22,000 unassigned: 1 MB
_PLACE = "{opp}"


def compact(
    allocation: Allocation, explanations: Mapping[str, Mapping[str, Any]] | None
) -> dict[str, Any] | None:
    """The reasons of the allocation's unassigned participants, compact; None when there are no
    explanations (too many participants for the engine to explain)."""
    if explanations is None:
        return None
    problem = allocation.problem
    seated = np.zeros(problem.n_participants, dtype=bool)
    seated[allocation.participant] = True
    unassigned = problem.participant_ids[~seated].tolist()
    caps = dict(zip(problem.opportunity_ids.tolist(), problem.capacity.tolist(), strict=True))
    sizes = (
        dict(zip(problem.opportunity_ids.tolist(), problem.min_size.tolist(), strict=True))
        if problem.min_size is not None
        else {}
    )
    texts: dict[str, int] = {}
    opps: dict[str, int] = {}
    people: dict[str, list[int]] = {}
    for pid in map(str, unassigned):
        pairs: list[int] = []  # stays empty for someone who listed nothing
        for why in (explanations.get(pid) or {}).get("reasons", []):
            oid = str(why["opportunity_id"])
            text = TEXT[why["code"]].format(
                opp=_PLACE,
                cap=caps.get(oid, 0),
                min_size=sizes.get(oid, 0),
                objective=problem.options.objective,
            )
            pairs += [opps.setdefault(oid, len(opps)), texts.setdefault(text, len(texts))]
        people[pid] = pairs
    return {"texts": list(texts), "opportunities": list(opps), "people": people}


def fits(stored: dict[str, Any]) -> bool:
    """Whether the compact reasons are small enough to keep with the run."""
    return len(json.dumps(stored, separators=(",", ":"))) <= MAX_STORED


def sentences(
    stored: Mapping[str, Any] | None, participant_ids: Iterable[str], names: Mapping[str, str]
) -> dict[str, list[str]]:
    """Each participant's reasons as sentences, opportunities named by ``names`` (their titles)
    or else by their id; participants without stored reasons are left out."""
    if not stored:
        return {}
    texts, opps, people = stored["texts"], stored["opportunities"], stored["people"]
    out: dict[str, list[str]] = {}
    for pid in participant_ids:
        pairs = people.get(pid)
        if pairs is None:
            continue
        named = (names.get(opps[o]) or opps[o] for o in pairs[::2])
        out[pid] = [texts[t].replace(_PLACE, name) for name, t in zip(named, pairs[1::2], strict=True)]
    return out
