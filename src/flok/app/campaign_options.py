"""A campaign's options as they are stored: validated, normalised, JSON-safe and within bounds.

Storing the object a client sent (after only checking it) once let a campaign in whose options
could not be written back as JSON (a lone surrogate in a pair or a ``category_limit`` key, a
quota ``value`` nested hundreds of levels deep): the request failed with a 500 after the row
was committed, and every later read of the campaign failed too. So every entry (API, dashboard)
stores what :func:`normalise` returns, and that is checked to encode before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flok.errors import InputError
from flok.io.json_text import is_encodable
from flok.model import Options
from flok.store.campaigns import split_options

SOURCE = "options"


def normalise(options: Mapping[str, Any], *, max_time_limit: float) -> dict[str, Any]:
    """The options to store, in the keys given; InputError (naming the key) when refused.

    Each value is the engine's own parsed form written back as JSON (so a quota's ``value``
    is its text, pairs are ``[participant, opportunity]`` lists), unless that form does not
    parse back to the same option (``category_limit``), when the checked value itself is kept.
    ``time_limit`` may not exceed the service's ``max_time_limit`` (a setting).
    """
    strategy, parsed = split_options(dict(options))
    if "time_limit" in options and parsed.time_limit > max_time_limit:
        raise InputError(
            f"must be at most {max_time_limit:g} seconds (the service's FLOK_MAX_TIME_LIMIT), "
            f"got {parsed.time_limit:g}",
            source=SOURCE,
            field="time_limit",
        )
    written = parsed.to_dict()
    out: dict[str, Any] = {}
    for key, raw in options.items():
        value = strategy if key == "strategy" else _stored_value(key, raw, written[key], parsed)
        if not is_encodable(value):
            raise InputError(
                "holds text that is not valid Unicode (a lone surrogate such as \\ud800)",
                source=SOURCE,
                field=key,
            )
        out[key] = json.loads(json.dumps(value))  # plain lists and dicts, as they will read back
    return out


def _stored_value(key: str, raw: Any, written: Any, parsed: Options) -> Any:
    try:
        same = getattr(Options.from_mapping({key: written}, SOURCE), key) == getattr(parsed, key)
    except InputError:
        same = False
    return written if same else raw


def bounded_for_run(options: Mapping[str, Any], *, max_time_limit: float) -> dict[str, Any]:
    """Options for a new run: a ``time_limit`` stored before the bound existed is cut to it,
    and so is the engine's default when the bound is below it."""
    out = dict(options)
    limit = out.get("time_limit", Options().time_limit)
    if isinstance(limit, int | float) and not isinstance(limit, bool) and limit > max_time_limit:
        out["time_limit"] = max_time_limit
    return out
