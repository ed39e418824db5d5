"""A JSON file into a parsed object, with file, line and column in every error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flok.errors import InputError


def read_json(path: str | Path) -> Any:
    """The parsed content of a UTF-8 JSON file (a BOM is fine)."""
    path = Path(path)
    source = path.name
    if path.is_dir():
        raise InputError("is a directory; give a JSON file", source=str(path))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", source=str(path)) from None
    if not raw.strip():
        raise InputError("file is empty", source=source)
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError("file is not valid UTF-8 text", source=source) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg} (column {exc.colno})", source=source, row=exc.lineno
        ) from None
