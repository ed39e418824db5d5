"""Bounded field types shared by the API's bodies and the dashboard's forms (one definition each)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

Ident = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$")]
CampaignName = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]+$")]
MAX_ROW_ID = 2_147_483_647  # no path id may overflow a database column
