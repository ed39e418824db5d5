"""A participant's feed: every opportunity, the ones they can join first, each with its reasons."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from flok.pulse.demand import adjusted_score
from flok.pulse.eligible import SIGNUP_CLOSED, STARTED, too_late
from flok.pulse.fit import FitScorer
from flok.pulse.market import Market, clashes

NOT_IN_AVAILABILITY = "NOT_IN_AVAILABILITY"
TOO_FAR = "TOO_FAR"
NO_LOCATION = "NO_LOCATION"
FULL = "FULL"
ALREADY_ATTENDING = "ALREADY_ATTENDING"


@dataclass(frozen=True)
class FeedItem:
    """One opportunity in a feed; ``codes`` is empty exactly when ``eligible``; ``pulse`` is NaN
    for an opportunity without seats (undefined)."""

    opportunity_id: str
    title: str
    eligible: bool
    fit: float
    score: float
    pulse: float
    start: float
    labels: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    why_not: list[str] = field(default_factory=list)


def feed(
    participant: int | str, scorer: FitScorer, market: Market, *, limit: int | None = None
) -> list[FeedItem]:
    """All opportunities for one participant: eligible ones by ``S_adj`` (best first), then the
    ineligible ones by soonest start (those that started already last), each with machine
    ``codes`` and human ``why_not``. Eligible means joinable (``flok.pulse.eligible``: starts
    after now plus the sign-up lead, a seat left), not joined yet, and fitting the person.

    ``limit`` keeps the first items only; their reasons (the costly part) are worded for them alone.
    """
    p = _index(participant, scorer)
    opps = scorer.opportunities
    m = len(opps)
    fit = scorer.evaluate(np.full(m, p), np.arange(m))
    s_adj = adjusted_score(fit.score, market.pulse, lam=market.config.lam)
    who, which = market.attending(scorer.participants.ids[p : p + 1])
    attending = np.zeros(m, dtype=bool)
    attending[which] = True
    busy = clashes(who, which, opps, np.zeros(m, dtype=np.int64), np.arange(m)) & ~attending
    full = market.remaining <= 0
    late = too_late(opps.start, market.at, market.config)
    max_km = scorer.config.max_km
    lead = market.config.lead_hours

    codes_of: list[list[str]] = []
    why_of: list[list[str]] = []
    for o in range(m):
        codes, why = [], []
        if late[o] == STARTED and not attending[o]:
            codes.append(STARTED)
            why.append("it has already started")
        elif late[o] == SIGNUP_CLOSED and not attending[o]:
            codes.append(SIGNUP_CLOSED)
            why.append(f"it starts within {lead:g} h; sign-up has closed")
        if attending[o]:
            codes.append(ALREADY_ATTENDING)
            why.append("you are already going")
        if full[o] and not attending[o]:
            codes.append(FULL)
            why.append("no seats left")
        if fit.too_far[o] and np.isnan(fit.km[o]):
            codes.append(NO_LOCATION)
            why.append("you have not given a location, and it is not online")
        elif fit.too_far[o]:
            codes.append(TOO_FAR)
            why.append(f"{fit.km[o]:.1f} km away, beyond your {max_km:g} km")
        if busy[o] and not fit.unavailable[o]:
            codes.append(NOT_IN_AVAILABILITY)
            going = [
                str(opps.title[j] or opps.ids[j])
                for j in which
                if clashes(np.zeros(1, np.int64), np.array([j]), opps, np.zeros(1, np.int64), np.array([o]))[
                    0
                ]
            ]
            why.append(f"overlaps something you are going to ({', '.join(sorted(going))})")
        if fit.unavailable[o]:
            codes.append(NOT_IN_AVAILABILITY)
            why.append(
                "not in your availability"
                if fit.coverage[o] == 0
                else f"only {100 * fit.coverage[o]:.0f}% of it is in your availability"
            )
        codes_of.append(codes)
        why_of.append(why)
    ids = [str(i) for i in opps.ids]
    eligible = sorted((o for o in range(m) if not codes_of[o]), key=lambda o: (-s_adj[o], ids[o]))
    later = sorted(
        (o for o in range(m) if codes_of[o]),
        key=lambda o: (
            late[o] == STARTED,
            np.isnan(opps.start[o]),
            np.nan_to_num(opps.start[o]),
            ids[o],
        ),
    )
    return [
        FeedItem(
            opportunity_id=ids[o],
            title=str(opps.title[o]),
            eligible=not codes_of[o],
            fit=float(fit.score[o]),
            score=float(s_adj[o]),
            pulse=float(market.pulse[o]),
            start=float(opps.start[o]),
            labels=market.labels(o),
            reasons=scorer.reasons(fit, o),
            codes=codes_of[o],
            why_not=why_of[o],
        )
        for o in (eligible + later)[:limit]
    ]


def _index(participant: int | str, scorer: FitScorer) -> int:
    if isinstance(participant, str):
        hits = np.flatnonzero(scorer.participants.ids.astype(str) == participant)
        if hits.size == 0:
            raise KeyError(f"unknown participant {participant!r}")
        return int(hits[0])
    if not 0 <= participant < len(scorer.participants):
        raise IndexError(f"participant index {participant} out of range")
    return int(participant)
