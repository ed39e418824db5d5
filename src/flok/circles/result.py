"""The result of a formation run and its tables: assignments, circles, unmatched, report."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from flok.circles.diversity import score, summary
from flok.circles.options import CircleOptions
from flok.circles.reasons import TEXT, Unmatched
from flok.circles.roles import ASK, LEADING
from flok.circles.roster import ALWAYS, SOMETIMES, ExistingCircle, Participant, TimeIssue


@dataclass(frozen=True)
class FormedCircle:
    circle_id: str
    region: str
    location: str
    meeting_time: str
    new: bool
    virtual: bool
    members: tuple[Participant, ...]
    roles: dict[str, str]
    flags: tuple[str, ...]
    diversity: dict[str, dict[str, float]]

    @property
    def continuing(self) -> list[Participant]:
        return [p for p in self.members if p.status == "CONTINUING" and p.current_circle == self.circle_id]

    @property
    def co_leaders(self) -> int:
        """Continuing co-leaders who stay and volunteers: not the members still to be asked."""
        return sum(r in LEADING for r in self.roles.values())

    @property
    def format(self) -> str:
        return "virtual" if self.virtual else "in_person"


@dataclass(frozen=True)
class RegionStats:
    """One solve unit: a region, or regions joined by a shared virtual location ("A + B")."""

    region: str
    participants: int
    matched: int
    matched_bound: int
    status: str
    objective: float
    objective_bound: float
    seconds: float

    @property
    def matched_proven(self) -> bool:
        return self.matched == self.matched_bound


@dataclass
class CircleResult:
    """Everything `flok.circles.form` decided, with the tables the CLI writes."""

    options: CircleOptions
    people: list[Participant]
    circles: list[FormedCircle]
    unmatched: list[Unmatched]
    regions: list[RegionStats]
    existing: dict[str, ExistingCircle] = field(default_factory=dict)
    issues: list[TimeIssue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    backend: str = ""
    total_seconds: float = 0.0
    notes: dict[str, list[str]] = field(default_factory=dict)  # participant id → what was done and why

    @property
    def matched(self) -> int:
        return sum(len(c.members) for c in self.circles)

    @property
    def placeable(self) -> int:
        return sum(1 for p in self.people if p.status != "MOVING_OUT")

    @property
    def matched_proven(self) -> bool:
        return all(r.matched_proven for r in self.regions)

    def placement(self) -> dict[str, str]:
        """participant id → circle id for everyone placed."""
        return {p.pid: c.circle_id for c in self.circles for p in c.members}

    def assignments_table(self) -> pa.Table:
        """One row per participant, in input order: their circle, role, where and when it meets, or
        why they were not placed, and any note; the ``keep`` columns (name, e-mail) come last.

        Raw data; `flok.io.circles` makes user text formula-safe when writing CSV.
        """
        placed = {p.pid: c for c in self.circles for p in c.members}
        reasons = {u.pid: u for u in self.unmatched}
        rows: dict[str, list[str]] = {k: [] for k in ASSIGNMENT_COLUMNS}
        keep: dict[str, list[str]] = {k: [] for k in self.options.keep}
        for p in self.people:
            c = placed.get(p.pid)
            u = reasons.get(p.pid)
            rows["participant_id"].append(p.pid)
            rows["circle_id"].append(c.circle_id if c else "")
            rows["role"].append(c.roles[p.pid] if c else "unmatched")
            rows["status"].append(p.status)
            rows["host"].append(HOST_WORDS[p.host])
            rows["region"].append(c.region if c else p.region)
            rows["location"].append(c.location if c else "")
            rows["meeting_time"].append(c.meeting_time if c else "")
            rows["format"].append(c.format if c else "")
            rows["reason_code"].append(u.code if u else "")
            rows["reason"].append(u.text if u else "")
            rows["note"].append("; ".join(self.notes.get(p.pid, [])))
            for k, name in enumerate(self.options.keep):
                keep[name].append(p.extra[k] if k < len(p.extra) else "")
        return pa.table({k: pa.array(v, pa.string()) for k, v in {**rows, **keep}.items()})

    def roster_table(self) -> pa.Table:
        """One row per circle, ready to e-mail from: where and when it meets, its named hosts and
        co-leaders, the members to ask to co-lead, every member with their role, and each ``keep``
        column (an e-mail list, say) over the members in the same order."""
        rows: dict[str, list[Any]] = {k: [] for k in ROSTER_COLUMNS}
        keep: dict[str, list[Any]] = {k: [] for k in self.options.keep}
        for c in self.circles:
            rows["circle_id"].append(c.circle_id)
            rows["region"].append(c.region)
            rows["location"].append(c.location)
            rows["meeting_time"].append(c.meeting_time)
            rows["format"].append(c.format)
            rows["size"].append(len(c.members))
            rows["hosts"].append(
                "; ".join(
                    f"{p.pid} ({HOST_WORDS[p.host]})" for p in c.members if p.host in (ALWAYS, SOMETIMES)
                )
            )
            rows["co_leaders"].append("; ".join(p.pid for p in c.members if c.roles[p.pid] in LEADING))
            rows["ask_to_co_lead"].append("; ".join(p.pid for p in c.members if c.roles[p.pid] == ASK))
            rows["members"].append("; ".join(f"{p.pid} ({c.roles[p.pid]})" for p in c.members))
            rows["flags"].append("; ".join(c.flags))
            for k, name in enumerate(self.options.keep):
                keep[name].append("; ".join(p.extra[k] for p in c.members if k < len(p.extra) and p.extra[k]))
        types = {k: pa.int64() if k == "size" else pa.string() for k in ROSTER_COLUMNS}
        return pa.table(
            {
                **{k: pa.array(v, types[k]) for k, v in rows.items()},
                **{k: pa.array(v, pa.string()) for k, v in keep.items()},
            }
        )

    def circles_table(self) -> pa.Table:
        rows: dict[str, list[Any]] = {k: [] for k in _CIRCLE_COLUMNS}
        for c in self.circles:
            cont = len(c.continuing)
            rows["circle_id"].append(c.circle_id)
            rows["region"].append(c.region)
            rows["location"].append(c.location)
            rows["meeting_time"].append(c.meeting_time)
            rows["members"].append(len(c.members))
            rows["new_members"].append(len(c.members) - cont)
            rows["continuing_members"].append(cont)
            rows["hosts_always"].append(sum(p.host == ALWAYS for p in c.members))
            rows["hosts_sometimes"].append(sum(p.host == SOMETIMES for p in c.members))
            rows["co_leaders"].append(c.co_leaders)
            rows["diversity"].append(score(c.diversity))
        types = {k: pa.int64() for k in _CIRCLE_COLUMNS[4:10]}
        types["diversity"] = pa.float64()
        return pa.table(
            {
                k: pa.array(v, pa.string()) if k not in types else pa.array(v, types[k])
                for k, v in rows.items()
            }
        )

    def unmatched_table(self) -> pa.Table:
        return pa.table(
            {
                "participant_id": pa.array([u.pid for u in self.unmatched], pa.string()),
                "region": pa.array([u.region for u in self.unmatched], pa.string()),
                "reason_code": pa.array([u.code for u in self.unmatched], pa.string()),
                "reason": pa.array([u.text for u in self.unmatched], pa.string()),
            }
        )

    def overall_diversity(self) -> dict[str, dict[str, float]]:
        """Mean per-circle distinct values and normalized entropy, per attribute."""
        out: dict[str, dict[str, float]] = {}
        for name in self.options.attributes:
            per = [c.diversity[name] for c in self.circles if c.members]
            if per:
                out[name] = {
                    "mean_distinct": round(sum(d["distinct"] for d in per) / len(per), 3),
                    "mean_entropy": round(sum(d["entropy"] for d in per) / len(per), 4),
                }
        return out

    def diversity_bonus(self) -> int:
        """Weight × distinct attribute values summed over new circles (what the split maximizes)."""
        distinct = sum(int(d["distinct"]) for c in self.circles if c.new for d in c.diversity.values())
        return self.options.weights.diversity * distinct

    def report(self) -> dict[str, Any]:
        sizes = Counter(len(c.members) for c in self.circles)
        reasons = Counter(u.code for u in self.unmatched)
        return {
            "status": "optimal" if all(r.status == "optimal" for r in self.regions) else "feasible",
            "mode": self.options.mode,
            "backend": self.backend,
            "participants": len(self.people),
            "placeable": self.placeable,
            "matched": self.matched,
            "unmatched": len(self.unmatched),
            "match_rate": round(self.matched / self.placeable, 4) if self.placeable else None,
            "matched_proven_maximal": self.matched_proven,
            "circles": len(self.circles),
            "new_circles": sum(c.new for c in self.circles),
            "diversity_bonus": self.diversity_bonus(),
            "size_histogram": {str(k): sizes[k] for k in sorted(sizes)},
            "unmatched_reasons": {
                code: {"count": reasons[code], "text": TEXT[code]} for code in sorted(reasons)
            },
            "regions": [
                {
                    "region": r.region,
                    "participants": r.participants,
                    "matched": r.matched,
                    "matched_upper_bound": r.matched_bound,
                    "matched_proven_maximal": r.matched_proven,
                    "status": r.status,
                    "objective": r.objective,
                    # null when the time limit ended before any bound was proven
                    "objective_gap": round(r.objective_bound - r.objective, 3)
                    if math.isfinite(r.objective_bound)
                    else None,
                    "seconds": round(r.seconds, 3),
                }
                for r in self.regions
            ],
            "diversity": {
                "overall": self.overall_diversity(),
                "circles": {c.circle_id: c.diversity for c in self.circles},
            },
            "flags": {c.circle_id: list(c.flags) for c in self.circles if c.flags},
            "time_issues": [
                {
                    "source": i.source,
                    "row": i.row,
                    "field": i.field,
                    "column": i.column or i.field,
                    "value": i.value,
                    "message": i.message,
                }
                for i in self.issues
            ],
            "existing_circles": {
                cid: {"max_additions": c.max_additions, "from": c.limit_from}
                for cid, c in sorted(self.existing.items())
            }
            if self.options.mode != "dissolve"
            else {},
            "notes": {pid: notes for pid, notes in self.notes.items() if notes},
            "warnings": self.warnings,
            "options": {
                "min_size": self.options.min_size,
                "max_size": self.options.max_size,
                "attributes": list(self.options.attributes),
                "weights": vars(self.options.weights),
            },
            "total_seconds": round(self.total_seconds, 3),
        }

    @property
    def region_count(self) -> int:
        """Regions, counting each region of a joined solve unit ("A + B") once."""
        return len({name for r in self.regions for name in r.region.split(" + ")})

    def summary(self) -> str:
        rep = self.report()
        rate = 100 * (rep["match_rate"] or 0)
        proven = "proven maximal" if self.matched_proven else "NOT proven maximal (see report gap)"
        lines = [
            f"Matched {self.matched:,} of {self.placeable:,} placeable participants ({rate:.1f}%), {proven}",
            f"Circles: {rep['circles']} ({rep['new_circles']} new) across {self.region_count} regions",
            "Sizes: " + ", ".join(f"{k}×{v}" for k, v in rep["size_histogram"].items()),
        ]
        if self.unmatched:
            lines.append(
                "Unmatched: " + ", ".join(f"{k} {v['count']}" for k, v in rep["unmatched_reasons"].items())
            )
        if self.issues:
            lines.append(f"Unreadable times: {len(self.issues)} (listed in report.json)")
        lines.append(f"Time: {self.total_seconds:.2f} s ({self.backend})")
        return "\n".join(lines)


HOST_WORDS = {ALWAYS: "always", SOMETIMES: "sometimes", 0: "never"}
ASSIGNMENT_COLUMNS = (
    "participant_id",
    "circle_id",
    "role",
    "status",
    "host",
    "region",
    "location",
    "meeting_time",
    "format",
    "reason_code",
    "reason",
    "note",
)
ROSTER_COLUMNS = (
    "circle_id",
    "region",
    "location",
    "meeting_time",
    "format",
    "size",
    "hosts",
    "co_leaders",
    "ask_to_co_lead",
    "members",
    "flags",
)
_CIRCLE_COLUMNS = (
    "circle_id",
    "region",
    "location",
    "meeting_time",
    "members",
    "new_members",
    "continuing_members",
    "hosts_always",
    "hosts_sometimes",
    "co_leaders",
    "diversity",
)


def circle_diversity(
    members: list[Participant] | tuple[Participant, ...],
    attributes: tuple[str, ...],
    universe: dict[str, int],
) -> dict[str, dict[str, float]]:
    return summary({a: [p.attributes[k] for p in members] for k, a in enumerate(attributes)}, universe)
