"""Waitlists that cascade: who is offered a seat that frees up after a campaign is finalized.

The rules, in one place (the store keeps the state, ``flok.app.waitlist`` applies these rules
under a lock; :class:`Waitlists` is the same rules on plain memory, the reference the tests
drive with random events):

- **Who waits where.** Every participant left without a seat at finalize keeps a place on the
  waitlist of each opportunity they listed (score mode: each with a score of at least
  ``min_score``). A participant seated later stays on the waitlists of the opportunities they
  ranked *better* than their seat, and leaves the others.
- **Order.** A waitlist is ordered by the participant's rank of that opportunity (1 first; in
  score mode the higher score first), then by a lottery number drawn once per participant from
  the campaign's seed: ``sha256("<seed>:<participant_id>")``, its first 63 bits. One number per
  participant (single tie-breaking), so a person ahead of another on one list at equal rank is
  ahead on every list; the draw does not depend on who else is listed, so adding or removing
  someone never reshuffles the rest, and the same seed always gives the same order.
- **Offers.** Free seats of an opportunity = capacity − seated − open offers. Each free seat is
  offered to the next waiting participant without an open offer for it, with an accept-by
  deadline. A participant may hold open offers for several opportunities at once.
- **Cascade.** Accepting seats the participant (freeing their old seat, if any), removes them
  from the waitlists of every opportunity they rank no better than the new seat and withdraws
  their open offers there; declining or letting an offer expire removes them from that one
  waitlist. Every freed seat is offered again by the next fill.
- **Capacity down.** When seated + open offers exceed the capacity, the newest open offers are
  withdrawn (their holders keep their place in the queue); seats are never taken away here.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

LOTTERY_BITS = 63  # fits a signed 64-bit integer column


def lottery_number(seed: int | str, participant_id: str) -> int:
    """The participant's lottery number under ``seed``: lower is luckier. Pure and reproducible."""
    digest = hashlib.sha256(f"{seed}:{participant_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> (64 - LOTTERY_BITS)


@dataclass(frozen=True)
class Entry:
    """A participant's place on one opportunity's waitlist.

    ``preference`` orders the list, lower first: the rank, or minus the score in score mode."""

    participant_id: str
    opportunity_id: str
    preference: float
    lottery: int

    @property
    def order(self) -> tuple[float, int, str]:
        # The id breaks a tie of two lottery numbers (2⁻⁶³ apart: never, in practice).
        return (self.preference, self.lottery, self.participant_id)


def preference_of(rank: int | None, score: float | None) -> float:
    """The sort key of a preference: its rank, or minus its score (a higher score comes first)."""
    if rank is not None:
        return float(rank)
    if score is None:
        raise ValueError("a preference has a rank or a score")
    return -float(score)


def in_order(entries: Iterable[Entry]) -> list[Entry]:
    """One waitlist in offer order: by preference, then lottery number."""
    return sorted(entries, key=lambda e: e.order)


def free_seats(
    capacity: Mapping[str, int], seated: Mapping[str, int], offered: Mapping[str, int]
) -> dict[str, int]:
    """Seats that can be offered now, per opportunity (never negative)."""
    return {o: max(0, cap - seated.get(o, 0) - offered.get(o, 0)) for o, cap in capacity.items()}


def over_capacity(
    capacity: Mapping[str, int], seated: Mapping[str, int], offered: Mapping[str, int]
) -> dict[str, int]:
    """How many open offers each opportunity holds beyond its capacity (after a capacity cut)."""
    out = {}
    for o, cap in capacity.items():
        excess = min(offered.get(o, 0), seated.get(o, 0) + offered.get(o, 0) - cap)
        if excess > 0:
            out[o] = excess
    return out


def next_offers(
    free: Mapping[str, int],
    waiting: Mapping[str, Sequence[Entry]],
    holding: Iterable[tuple[str, str]] = (),
) -> list[Entry]:
    """Whom to offer each free seat: the first waiting entries of each list, in order, skipping
    participants who already hold an open offer for that opportunity (``holding``: pairs
    ``(participant, opportunity)``). Opportunities in sorted order, so the result is reproducible."""
    held = set(holding)
    out: list[Entry] = []
    for o in sorted(free):
        n = free[o]
        if n <= 0:
            continue
        for e in in_order(waiting.get(o, ())):
            if n == 0:
                break
            if (e.participant_id, o) in held:
                continue
            out.append(e)
            n -= 1
    return out


def left_behind(entries: Iterable[Entry], accepted: Entry) -> list[Entry]:
    """The participant's other entries they leave on accepting ``accepted``: every opportunity
    they rank no better than it (equal scores count as no better)."""
    return [
        e
        for e in entries
        if e.participant_id == accepted.participant_id
        and e.opportunity_id != accepted.opportunity_id
        and e.preference >= accepted.preference
    ]


# --- the same rules on plain memory: the reference model ------------------------------------
@dataclass
class Offer:
    """A seat offer; ``status`` open → accepted | declined | expired | withdrawn."""

    id: int
    participant_id: str
    opportunity_id: str
    expires_at: float
    status: str = "open"
    released: str | None = None  # the seat the holder gave up on accepting


@dataclass
class Waitlists:
    """Seats, waitlists and offers of one finalized campaign, in memory.

    ``entries`` are the waiting places; ``seats`` maps a participant to their opportunity;
    ``offer_seconds`` is the accept-by delay. Every method leaves the invariants of
    :meth:`violations` true."""

    capacity: dict[str, int]
    seats: dict[str, str]
    entries: dict[tuple[str, str], Entry]
    offer_seconds: float
    offers: list[Offer] = field(default_factory=list)
    preferences: dict[tuple[str, str], float] = field(default_factory=dict)
    cut: set[str] = field(default_factory=set)  # opportunities cut below their seated count

    @classmethod
    def start(
        cls,
        capacity: Mapping[str, int],
        seats: Mapping[str, str],
        preferences: Mapping[tuple[str, str], float],
        seed: int | str,
        offer_seconds: float,
    ) -> Waitlists:
        """Everyone without a seat waits on every opportunity they listed."""
        entries = {
            (p, o): Entry(p, o, pref, lottery_number(seed, p))
            for (p, o), pref in preferences.items()
            if p not in seats and o in capacity
        }
        return cls(dict(capacity), dict(seats), entries, offer_seconds, preferences=dict(preferences))

    def _counts(self) -> tuple[dict[str, int], dict[str, int]]:
        seated: dict[str, int] = defaultdict(int)
        for o in self.seats.values():
            seated[o] += 1
        offered: dict[str, int] = defaultdict(int)
        for f in self.open_offers():
            offered[f.opportunity_id] += 1
        return seated, offered

    def open_offers(self) -> list[Offer]:
        return [f for f in self.offers if f.status == "open"]

    def fill(self, now: float) -> list[Offer]:
        """Expire overdue offers, trim offers above capacity, offer every free seat; the new offers."""
        for f in self.open_offers():
            if f.expires_at <= now:
                f.status = "expired"
                self.entries.pop((f.participant_id, f.opportunity_id), None)
        seated, offered = self._counts()
        for o, excess in over_capacity(self.capacity, seated, offered).items():
            newest = sorted((f for f in self.open_offers() if f.opportunity_id == o), key=lambda f: -f.id)
            for f in newest[:excess]:
                f.status = "withdrawn"
        seated, offered = self._counts()
        waiting: dict[str, list[Entry]] = defaultdict(list)
        for e in self.entries.values():
            waiting[e.opportunity_id].append(e)
        holding = [(f.participant_id, f.opportunity_id) for f in self.open_offers()]
        made = []
        for e in next_offers(free_seats(self.capacity, seated, offered), waiting, holding):
            made.append(
                Offer(len(self.offers) + 1, e.participant_id, e.opportunity_id, now + self.offer_seconds)
            )
            self.offers.append(made[-1])
        return made

    def accept(self, offer_id: int, now: float) -> bool:
        """Accept an open, unexpired offer (False otherwise: nothing changes but the fill)."""
        self.fill(now)
        f = self.offers[offer_id - 1]
        if f.status != "open":
            return False
        p, o = f.participant_id, f.opportunity_id
        f.status, f.released = "accepted", self.seats.get(p)
        self.seats[p] = o
        taken = self.entries.pop((p, o))
        for e in left_behind(list(self.entries.values()), taken):
            del self.entries[(e.participant_id, e.opportunity_id)]
            for g in self.open_offers():
                if (g.participant_id, g.opportunity_id) == (p, e.opportunity_id):
                    g.status = "withdrawn"
        self.fill(now)
        return True

    def decline(self, offer_id: int, now: float) -> bool:
        self.fill(now)
        f = self.offers[offer_id - 1]
        if f.status != "open":
            return False
        f.status = "declined"
        self.entries.pop((f.participant_id, f.opportunity_id), None)
        self.fill(now)
        return True

    def withdraw(self, participant_id: str, now: float) -> str | None:
        """The participant leaves: their seat (returned) frees, their places and offers go."""
        released = self.seats.pop(participant_id, None)
        for key in [k for k in self.entries if k[0] == participant_id]:
            del self.entries[key]
        for f in self.open_offers():
            if f.participant_id == participant_id:
                f.status = "withdrawn"
        self.fill(now)
        return released

    def set_capacity(self, opportunity_id: str, capacity: int, now: float) -> None:
        self.capacity[opportunity_id] = capacity
        if sum(1 for o in self.seats.values() if o == opportunity_id) > capacity:
            self.cut.add(opportunity_id)
        self.fill(now)

    def violations(self) -> list[str]:
        """Broken invariants (none, always): capacity, one open offer per pair, no seated
        participant waiting on a worse opportunity, nobody waiting where seated."""
        out = []
        seated, offered = self._counts()
        for o, cap in self.capacity.items():
            n, m = seated.get(o, 0), offered.get(o, 0)
            if (n > cap and o not in self.cut) or (m and n + m > cap):
                out.append(f"{o}: {n} seated + {m} offered > {cap}")
        pairs = [(f.participant_id, f.opportunity_id) for f in self.open_offers()]
        if len(pairs) != len(set(pairs)):
            out.append("two open offers of one seat to one participant")
        for (p, o), e in self.entries.items():
            seat = self.seats.get(p)
            if seat == o:
                out.append(f"{p} waits for {o}, where they are seated")
            elif seat is not None and e.preference >= self.preferences[(p, seat)]:
                out.append(f"{p} waits for {o}, no better than their seat {seat}")
        return out
