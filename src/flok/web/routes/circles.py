"""Circles page: upload participants and existing circles, choose mode and sizes, form, inspect, download."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, cast

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUpload

from flok.app import circle_imports, imports
from flok.app import circles as circles_store
from flok.circles import CircleOptions
from flok.circles.options import MODES, Mode
from flok.errors import FlokError, InputError
from flok.io.mapping import ImportSpec, parse_values
from flok.web import charts, flash
from flok.web.context import state_of
from flok.web.deps import PostDep, SessionDep, org_of
from flok.web.render import page, problem, redirect
from flok.web.routes.imports import MAX_PREVIEW_BYTES
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
        "presets": circle_imports.survey_presets(),
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
    preset: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Form circles with ``flok.circles.form`` (in a worker thread) and keep the result for this org."""
    org, db = org_of(session), state_of(request).db
    values = {
        "mode": mode,
        "min_size": min_size,
        "max_size": max_size,
        "attributes": attributes,
        "preset": preset,
    }
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
            if preset and preset not in circle_imports.survey_presets():
                raise InputError(f"'{preset}' is no preset for circle participants", field="preset")
            spec = imports.spec_of([], preset or None)
            people = circle_imports.read_survey(await participants.read(), name, spec)
            existing, source = None, name
            if circles is not None and circles.filename:
                existing = circle_imports.read_existing(await circles.read(), circles.filename)
                source += f" and {circles.filename}"
            await run_in_threadpool(circles_store.form_circles, db, org, people, existing, options, source)
    except FlokError as exc:
        failed = flash.Flash(errors={"circles": problem(exc)}, form=values)
        return redirect(request, "/ui/circles#form-h", failed)
    return redirect(request, "/ui/circles#result", flash.Flash(notice="Circles formed."))


def _options(form: FormData) -> CircleOptions:
    """The run's options from the form (the same fields on the page and on the preview page)."""

    def number(name: str, default: int) -> int:
        try:
            value = int(_text(form, name, 10) or default)
        except ValueError:
            raise InputError(f"{name} must be a whole number", field=name) from None
        if not 2 <= value <= 1000:
            raise InputError(f"{name} must be between 2 and 1000", field=name)
        return value

    mode = _text(form, "mode", 20) or "optimize"
    if mode not in MODES:
        raise InputError(f"mode must be one of {', '.join(MODES)}", field="mode")
    attributes = _text(form, "attributes", 500)
    return CircleOptions(
        mode=cast(Mode, mode),
        min_size=number("min_size", 5),
        max_size=number("max_size", 10),
        attributes=tuple(a.strip() for a in attributes.split(",") if a.strip()),
        time_limit=TIME_LIMIT,
        lenient_times=_text(form, "lenient", 5) == "yes",
    )


def _text(form: FormData, name: str, limit: int = 300) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


async def _files(form: FormData) -> tuple[tuple[bytes, str], tuple[bytes, str] | None]:
    """The survey and (optional) existing circles: chosen now, or carried by the preview page."""

    async def one(field: str) -> tuple[bytes, str] | None:
        upload = form.get(field)
        if isinstance(upload, StarletteUpload) and upload.filename:
            data, name = await upload.read(), upload.filename
        else:
            try:
                data = base64.b64decode(_text(form, f"{field}_data", 2 * MAX_PREVIEW_BYTES), validate=True)
            except binascii.Error:
                data = b""
            name = _text(form, f"{field}_name") or f"{field}.csv"
        if not data:
            return None
        if len(data) > MAX_PREVIEW_BYTES:
            raise InputError(f"the {field} file is over {MAX_PREVIEW_BYTES // 1024**2} MB", field=field)
        return data, name

    people = await one("participants")
    if people is None:
        raise InputError("choose a participants (survey) file", field="participants")
    return people, await one("circles")


def _survey_spec(form: FormData) -> ImportSpec:
    fields = circle_imports.survey_fields()
    maps = [f"{f}={_text(form, 'map_' + f)}" for f in fields if _text(form, "map_" + f)]
    preset = _text(form, "preset", 100) or None
    if preset and preset not in circle_imports.survey_presets():
        raise InputError(f"'{preset}' is no preset for circle participants", field="preset")
    return imports.spec_of(maps, preset, values=_lines(form))


@router.post("/circles/preview")
async def circles_preview(request: Request, session: PostDep) -> Response:
    """The survey as Flok reads it (mapping selects pre-filled, every unread answer listed); a
    commit button forms circles from exactly this reading. Nothing is formed or stored here."""
    form = await request.form()
    values = {k: _text(form, k) for k in ("mode", "min_size", "max_size", "attributes", "preset", "lenient")}
    try:
        (data, name), existing = await _files(form)
        spec = _survey_spec(form)
        options = _options(form)
        seen = await run_in_threadpool(circle_imports.preview_survey, data, name, spec, options, existing)
    except FlokError as exc:
        failed = flash.Flash(errors={"circles": problem(exc)}, form=values)
        return redirect(request, "/ui/circles#form-h", failed)
    chosen = dict(spec.columns)
    for fld, where in seen.preview.report.fields.items():
        header = where[1:-1] if where.startswith("'") and where.endswith("'") else None
        if header in seen.headers and fld not in chosen and fld in circle_imports.survey_fields():
            chosen[fld] = header
    context = {
        "title": "Preview the survey",
        "nav": "circles",
        "seen": seen,
        "filename": name,
        "data": base64.b64encode(data).decode("ascii"),
        "circles_name": existing[1] if existing else "",
        "circles_data": base64.b64encode(existing[0]).decode("ascii") if existing else "",
        "fields": circle_imports.survey_fields(),
        "headers": seen.headers,
        "chosen": chosen,
        "presets": circle_imports.survey_presets(),
        "preset": _text(form, "preset", 100),
        "values": "\n".join(
            f"{f}:{w}={v}"
            for f, words in parse_values(_lines(form), option="values").items()
            for w, v in words.items()
        ),
        "form": values,
        "modes": MODES,
    }
    return page(request, "circles_preview.html", context)


def _lines(form: FormData) -> list[str]:
    """The value mappings typed one per line (FIELD:WORD=VALUE)."""
    return [line.strip() for line in _text(form, "values", 20_000).splitlines() if line.strip()][:500]


@router.post("/circles/commit")
async def circles_commit(request: Request, session: PostDep) -> Response:
    """Form circles from the previewed survey with the chosen mapping and options."""
    org, db = org_of(session), state_of(request).db
    form = await request.form()
    values = {k: _text(form, k) for k in ("mode", "min_size", "max_size", "attributes", "preset", "lenient")}
    try:
        (data, name), existing = await _files(form)
        options = _options(form)
        people = circle_imports.read_survey(data, name, _survey_spec(form))
        circles_table = circle_imports.read_existing(*existing) if existing else None
        source = name + (f" and {existing[1]}" if existing else "")
        await run_in_threadpool(circles_store.form_circles, db, org, people, circles_table, options, source)
    except FlokError as exc:
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
