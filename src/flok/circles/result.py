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
from flok.circles.roles import MEMBER
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
        return sum(r != MEMBER for r in self.roles.values())


@dataclass(frozen=True)
class RegionStats:
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
        """Raw data; `flok.io.circles` makes user text formula-safe when writing CSV."""
        pids, cids, roles = [], [], []
        for c in self.circles:
            for p in c.members:
                pids.append(p.pid)
                cids.append(c.circle_id)
                roles.append(c.roles[p.pid])
        for u in self.unmatched:
            pids.append(u.pid)
            cids.append("")
            roles.append("unmatched")
        return pa.table(
            {
                "participant_id": pa.array(pids, pa.string()),
                "circle_id": pa.array(cids, pa.string()),
                "role": pa.array(roles, pa.string()),
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
                {"source": i.source, "row": i.row, "field": i.field, "value": i.value, "message": i.message}
                for i in self.issues
            ],
            "warnings": self.warnings,
            "options": {
                "min_size": self.options.min_size,
                "max_size": self.options.max_size,
                "attributes": list(self.options.attributes),
                "weights": vars(self.options.weights),
            },
            "total_seconds": round(self.total_seconds, 3),
        }

    def summary(self) -> str:
        rep = self.report()
        rate = 100 * (rep["match_rate"] or 0)
        proven = "proven maximal" if self.matched_proven else "NOT proven maximal (see report gap)"
        lines = [
            f"Matched {self.matched:,} of {self.placeable:,} placeable participants ({rate:.1f}%), {proven}",
            f"Circles: {rep['circles']} ({rep['new_circles']} new) across {len(self.regions)} regions",
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
