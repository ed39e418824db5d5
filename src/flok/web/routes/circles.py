"""Circles page: upload participants and existing circles, choose mode and sizes, form, inspect, download."""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from flok.app import circles as circles_store
from flok.circles import CircleOptions
from flok.circles.options import MODES, Mode
from flok.errors import InputError
from flok.io.csv_reader import parse_csv_bytes
from flok.web import charts, flash
from flok.web.context import state_of
from flok.web.deps import PostDep, SessionDep, org_of
from flok.web.render import page, problem, redirect
from flok.web.session import Session

router = APIRouter(prefix="/ui")
TIME_LIMIT = 20.0  # seconds per region: a page request should not wait minutes


def _view(stored: circles_store.Stored | None) -> dict[str, Any] | None:
    """The stored view plus its two pictures (drawn per render from the stored report)."""
    if stored is None:
        return None
    report = stored.view["report"]
    return {
        **stored.view,
        "size_chart": charts.bar_chart(
            [(f"{k} members", float(v)) for k, v in report["size_histogram"].items()], "Circles by size"
        ),
        "match_meter": charts.meter(
            float(report["match_rate"] or 0.0), "Share of placeable participants matched"
        ),
    }


def _page(request: Request, session: Session) -> Response:
    """The page; an error (and the values typed) come from the flash the failed post left."""
    assert session.org_id is not None
    shown = flash.take(request) or flash.Flash()
    error, form_values = shown.errors.get("circles"), shown.form
    stored = circles_store.get_or_seed(state_of(request).db, session.org_id, session.org_name)
    context = {
        "title": "Circles",
        "nav": "circles",
        "view": _view(stored),
        "modes": MODES,
        "error": error,
        "form": form_values
        or {"mode": "optimize", "min_size": 5, "max_size": 10, "attributes": "industry, employment"},
    }
    return page(request, "circles.html", context)


@router.get("/circles")
def circles_page(request: Request, session: SessionDep) -> Response:
    return _page(request, session)


@router.post("/circles")
async def circles_run(
    request: Request,
    session: PostDep,
    participants: UploadFile | None = None,
    circles: UploadFile | None = None,
    mode: Annotated[str, Form()] = "optimize",
    min_size: Annotated[int, Form(ge=2, le=1000)] = 5,
    max_size: Annotated[int, Form(ge=2, le=1000)] = 10,
    attributes: Annotated[str, Form(max_length=500)] = "",
    sample: Annotated[str | None, Form()] = None,
) -> Response:
    """Form circles with ``flok.circles.form`` (in a worker thread) and keep the result for this org."""
    org, db = org_of(session), state_of(request).db
    values = {"mode": mode, "min_size": min_size, "max_size": max_size, "attributes": attributes}
    try:
        attrs = tuple(a.strip() for a in attributes.split(",") if a.strip())
        options = CircleOptions(
            mode=cast(Mode, mode),
            min_size=min_size,
            max_size=max_size,
            attributes=attrs,
            time_limit=TIME_LIMIT,
        )
        if sample is not None:
            await run_in_threadpool(circles_store.form_sample, db, org, options)
        else:
            name = participants.filename if participants is not None else None
            if participants is None or not name:
                raise InputError("choose a participants CSV file", field="participants")
            people = parse_csv_bytes(await participants.read(), name)
            existing, source = None, name
            if circles is not None and circles.filename:
                existing = parse_csv_bytes(await circles.read(), circles.filename)
                source += f" and {circles.filename}"
            await run_in_threadpool(circles_store.form_circles, db, org, people, existing, options, source)
    except InputError as exc:
        failed = flash.Flash(errors={"circles": problem(exc)}, form=values)
        return redirect(request, "/ui/circles#form-h", failed)
    return redirect(request, "/ui/circles#result", flash.Flash(notice="Circles formed."))


@router.get("/circles/{name}.csv")
def circles_csv(name: str, request: Request, session: SessionDep) -> Response:
    """assignments, circles or unmatched of the last formation (cells already formula-safe)."""
    stored = circles_store.get(state_of(request).db, org_of(session))
    if stored is None or name not in stored.csv:
        return Response("nothing to download yet", status_code=404, media_type="text/plain")
    return Response(
        stored.csv[name],
        media_type="text/csv",
        headers={"content-disposition": f'attachment; filename="circles-{name}.csv"'},
    )
