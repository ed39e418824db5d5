"""The demo organization `make run` creates: a key printed once, plus a little data to explore.

One use case (``seed_demo``) in one transaction; ``flok serve --demo-org`` calls it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flok.app.community import try_rsvp
from flok.pulse import PulseConfig
from flok.store import campaigns, community, feedback, keys
from flok.store.db import Database, Transaction
from flok.table import table_from_records

_TAGS = [
    ["chess", "games"],
    ["music", "choir"],
    ["hiking", "outdoors"],
    ["code", "python"],
    ["art", "drawing"],
]


def seed_demo(db: Database, name: str) -> str | None:
    """Create the organization with sample data; its first key is returned once, never stored in clear."""
    with db.write() as conn:
        org = keys.ensure_org(conn, name)
        if keys.has_keys(conn, org):
            return None
        _sample_data(conn, org)
        return keys.create_key(conn, org)


def _sample_data(conn: Transaction, org: int) -> None:
    cid = campaigns.create(conn, org, "Demo tutorials", "rank", {"strategy": "auto"})
    opps = [{"opportunity_id": f"T{i}", "capacity": 2, "title": f"Tutorial {i}"} for i in range(1, 4)]
    campaigns.add_opportunities(conn, org, cid, table_from_records(opps, "opportunities"))
    prefs = [
        {"participant_id": f"student{p}", "opportunity_id": f"T{(p + r) % 3 + 1}", "rank": r + 1}
        for p in range(1, 8)
        for r in range(3)
    ]
    campaigns.add_preferences(conn, org, cid, table_from_records(prefs, "preferences"))
    campaigns.transition(conn, org, cid, "open")
    start = (datetime.now(UTC) + timedelta(days=7)).replace(hour=18, minute=0, second=0, microsecond=0)
    for i, tags in enumerate(_TAGS):
        community.create_opportunity(
            conn,
            org,
            {
                "opportunity_id": f"{tags[0]}-evening",
                "capacity": 5 + 5 * i,
                "title": f"{tags[0].title()} evening",
                "start": start + timedelta(days=i),
                "end": start + timedelta(days=i, hours=2),
                "lat": 52.52 + 0.01 * i,
                "lon": 13.40 - 0.01 * i,
                "tags": tags,
            },
        )
    window = [{"start": start.isoformat(), "end": (start + timedelta(days=7)).isoformat()}]
    for who, interests in (("ana", ["chess", "music"]), ("ben", ["hiking", "code"]), ("cleo", ["art"])):
        community.create_participant(
            conn,
            org,
            {
                "participant_id": who,
                "interests": interests,
                "lat": 52.51,
                "lon": 13.39,
                "availability": window,
                "first_timer": who == "cleo",
            },
        )
    _sample_activity(conn, org)


# (opportunity, events, hours between them): chess is busy right now, music was busy days ago.
_ACTIVITY = (("chess-evening", 60, 1 / 3), ("music-evening", 40, 1.5), ("hiking-evening", 14, 12.0))


GUESTS = 12  # visitors whose clicks and RSVPs make up the sample activity


def _sample_activity(conn: Transaction, org: int) -> None:
    """A week of feedback and a few RSVPs, so pulse history, trending and labels show something."""
    now = datetime.now(UTC)
    for g in range(GUESTS):
        community.create_participant(
            conn,
            org,
            {"participant_id": f"guest{g}", "interests": [], "availability": [], "first_timer": g % 4 == 0},
        )
    events: list[feedback.FeedbackEvent] = []
    for opp, count, every in _ACTIVITY:
        for n in range(count):
            at = now - timedelta(hours=every * n + (72 if opp == "music-evening" else 0))
            action = "clicked" if n % 4 == 3 else "accepted"
            events.append(
                feedback.FeedbackEvent(org, f"demo-{opp}-{n}", f"guest{n % GUESTS}", opp, action, at)
            )
    feedback.record_feedback(conn, events, PulseConfig())
    # Recorded as RSVP attempts, as the service records them: chess has one seat left ("Limited
    # spots"), music fills up and turns two guests away, so the oversubscription rate has
    # something to show (2 of 16 attempts refused).
    for who in ("ana", "ben", "cleo", "guest1"):
        try_rsvp(conn, org, "chess-evening", who)
    for g in range(GUESTS):
        try_rsvp(conn, org, "music-evening", f"guest{g}")
