"""The JSON schema of a campaign's ``options`` object, as the OpenAPI document shows it.

The engine parses options itself (``flok.options``; one parser per key, shared with the CLI and
the dashboard), so the request model keeps them as a free object. The document must still say
which keys exist and what each takes: a client (or schemathesis) reading ``dict[str, Any]``
would send keys the service then refuses, and the document and the service would disagree.
Rules a JSON schema cannot state (a pair both forced and forbidden, a ``time_limit`` above the
service's bound, quota text) are refused with ``422 INVALID_INPUT`` naming the key.
"""

from __future__ import annotations

from typing import Any

from flok.options import OBJECTIVES
from flok.solvers.base import names as strategy_names
from flok.solvers.rules.groups import GROUP_MODES

_ID: dict[str, Any] = {"anyOf": [{"type": "string", "pattern": r"\S"}, {"type": "integer"}]}
_PAIRS: dict[str, Any] = {
    "type": "array",
    "items": {
        "anyOf": [
            {"type": "array", "items": _ID, "minItems": 2, "maxItems": 2},
            {
                "type": "object",
                "required": ["participant_id", "opportunity_id"],
                "properties": {"participant_id": _ID, "opportunity_id": _ID},
            },
        ]
    },
    "description": "[participant_id, opportunity_id] pairs (or objects with those keys)",
}


def options_schema() -> dict[str, Any]:
    """Every key ``Options.from_mapping`` knows (plus ``strategy``), and only those."""
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "strategy": {"enum": list(strategy_names())},
            "fill_unlisted": {"type": "boolean"},
            "allow_unassigned": {"type": "boolean"},
            "min_score": {"type": "number"},
            "seed": {"type": ["integer", "null"]},
            "objective": {"enum": list(OBJECTIVES)},
            "group_mode": {"enum": list(GROUP_MODES)},
            "group_penalty": {"type": "number", "minimum": 0},
            "time_limit": {
                "type": "number",
                "minimum": 0.001,
                "description": "seconds; at most the service's FLOK_MAX_TIME_LIMIT",
            },
            "forbidden": _PAIRS,
            "forced": _PAIRS,
            "keep": _PAIRS,
            "quotas": {
                "type": "array",
                "items": {"type": "object"},
                "description": "quota objects: see docs/side-constraints.md",
            },
            "category_limit": {
                "anyOf": [
                    {"type": "integer", "minimum": 1},
                    {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}},
                ],
                "description": "at most this many seats per category, or {category: max seats}",
            },
            "capacity_groups": {
                "type": "array",
                "items": {"type": "object"},
                "description": "shared capacities: see docs/side-constraints.md",
            },
        },
        "description": "strategy plus any engine option (README, Options); unknown keys are refused",
    }
