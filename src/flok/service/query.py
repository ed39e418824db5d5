"""Unknown query parameters are refused, not ignored.

``GET /campaigns/1/allocation?limt=10`` used to answer every row: the misspelt name was
dropped without a word, and the client never learnt its page size had not applied. Each API
operation now accepts only the query parameters its OpenAPI operation declares, read from the
document itself so that the check and the document cannot disagree.
"""

from __future__ import annotations

import functools
from typing import Any

from fastapi import Request

from flok.service.errors import ApiError


async def known_query(request: Request) -> None:
    """A route dependency: 422 ``VALIDATION_ERROR`` naming the first unknown parameter."""
    if not request.query_params:
        return
    route = request.scope.get("route")
    template = getattr(route, "path_format", None)
    if template is None:
        return
    declared = _declared(request.app, template, request.method.lower())
    for name in request.query_params:
        if name not in declared:
            takes = ", ".join(sorted(declared)) or "none"
            raise ApiError(
                422,
                "VALIDATION_ERROR",
                f"unknown query parameter {name!r} (this operation takes: {takes})",
                field=name,
            )
        if not declared[name] and len(request.query_params.getlist(name)) > 1:
            # FastAPI would silently keep the last one of ?limit=5&limit=50.
            raise ApiError(422, "VALIDATION_ERROR", f"{name!r} may be given once", field=name)


@functools.lru_cache(maxsize=512)
def _declared(app: Any, template: str, method: str) -> dict[str, bool]:
    """Query parameter -> whether it may repeat (an array in the document)."""
    operation = app.openapi().get("paths", {}).get(template, {}).get(method, {})
    return {
        p["name"]: _is_array(p.get("schema", {}))
        for p in operation.get("parameters", ())
        if p.get("in") == "query"
    }


def _is_array(schema: dict[str, Any]) -> bool:
    options = [schema, *schema.get("anyOf", ())]
    return any(o.get("type") == "array" for o in options)
