"""Bounded field types shared by the API's bodies and the dashboard's forms (one definition each)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from flok.errors import InputError
from flok.windows import END_BEFORE_START, is_backwards

Ident = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$")]
CampaignName = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]+$")]
MAX_ROW_ID = 2_147_483_647  # no path id may overflow a database column

BOTH_COORDINATES = "give both lat and lon, or neither"


def check_place_and_time(record: Mapping[str, Any], source: str) -> None:
    """The rules a whole opportunity or participant must keep: an end not before its start,
    and both coordinates or neither. Creating checks the new record, changing checks the
    stored one with the changes applied (a PATCH of ``lat`` alone is half a pair): one rule,
    one answer (422 naming the field), whichever door the data came in by."""
    if is_backwards(record.get("start"), record.get("end")):
        raise InputError(END_BEFORE_START, source=source, field="end")
    lat, lon = record.get("lat"), record.get("lon")
    if (lat is None) != (lon is None):
        raise InputError(BOTH_COORDINATES, source=source, field="lon" if lon is None else "lat")
