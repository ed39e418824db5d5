"""An RSVP model (``flok.pulse.fit.RsvpModel``) to and from its JSON file."""

from __future__ import annotations

import json
from pathlib import Path

from flok.errors import InputError
from flok.io.json_reader import read_json
from flok.pulse.fit import RsvpModel


def write_rsvp_model(model: RsvpModel, path: str | Path) -> None:
    Path(path).write_text(json.dumps(model.to_dict(), indent=2) + "\n", encoding="utf-8")


def read_rsvp_model(path: str | Path) -> RsvpModel:
    """The model in a JSON file; a malformed one is reported with the file's name."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise InputError("expected a JSON object with features, coef and intercept", source=Path(path).name)
    try:
        return RsvpModel.from_dict(data)
    except InputError as exc:
        raise InputError(exc.message, source=Path(path).name, field=exc.field) from None
