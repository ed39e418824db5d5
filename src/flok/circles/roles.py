"""Co-leader roles: continuing co-leaders stay unless they declined, volunteers are proposed, and in
a circle left with fewer than two, every other member is marked ``ask_to_co_lead`` (and the circle
flagged) so a coordinator knows whom to ask. Only the first two are real co-leaders and counted so:
the people to ask have not said yes (issue 16, item 13)."""

from __future__ import annotations

from flok.circles.roster import Participant
from flok.circles.split import wants_to_lead

CO_LEADER = "co_leader"
PROPOSED = "proposed_co_leader"
ASK = "ask_to_co_lead"
MEMBER = "member"
LEADING = frozenset({CO_LEADER, PROPOSED})
NEEDS_CO_LEADERS = "needs_co_leaders"


def assign_roles(members: list[Participant], circle_id: str) -> tuple[dict[str, str], list[str]]:
    """Role per participant id, and the circle's flags."""
    roles: dict[str, str] = {}
    for p in members:
        stays = p.current_circle == circle_id and p.status == "CONTINUING"
        if p.current_co_leader and p.co_lead is not False and stays:
            roles[p.pid] = CO_LEADER
        elif wants_to_lead(p):
            roles[p.pid] = PROPOSED
        else:
            roles[p.pid] = MEMBER
    flags: list[str] = []
    if sum(r in LEADING for r in roles.values()) < 2:
        flags.append(NEEDS_CO_LEADERS)
        for pid, role in roles.items():
            if role == MEMBER:
                roles[pid] = ASK
    return roles, flags
