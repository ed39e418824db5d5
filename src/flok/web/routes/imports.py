"""Dashboard uploads with a preview step, and fixing mistakes: replace, clear, delete a campaign.

Choosing a file shows what Flok understood (``flok.app.imports.preview_upload``, the API's
preview) with one select per Flok field, pre-filled by recognition; the organizer adjusts the
mapping (the page re-previews) and commits. The file travels in the form (base64), so nothing
is stored before the commit and no server-side draft can go stale. Clearing an upload and
deleting a campaign each ask on a page of their own first (no script: CSP).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from flok.app import campaigns as app
from flok.app import imports
from flok.app.campaigns import TableKind
from flok.errors import FlokError, InputError
from flok.io.mapping import SHAPES, ImportSpec, preset_names
from flok.web.context import state_of
from flok.web.deps import PostDep, RowId, SessionDep, org_of
from flok.web.flash import Flash
from flok.web.render import page, problem, redirect
from flok.web.views import campaign_view

router = APIRouter(prefix="/ui")
KINDS: dict[str, TableKind] = {
    "opportunities": "opportunities",
    "preferences": "preferences",
    "participants": "participants",
}
LABELS = {
    "opportunities": "opportunities",
    "preferences": "preferences",
    "participants": "participants' attributes",
}
MAX_PREVIEW_BYTES = 8 * 1024 * 1024
"""A file travels in the preview page's form; bigger ones go through the API."""


def _kind(kind: str) -> TableKind:
    found = KINDS.get(kind)
    if found is None:
        raise HTTPException(404)
    return found


def _error(exc: FlokError) -> dict[str, Any]:
    """The message box's error, naming the user's own header when it is not Flok's field."""
    shown = problem(exc)
    if isinstance(exc, InputError) and exc.header:
        shown["message"] = f"column '{exc.header}': {exc.message}"
    return shown


def _text(form: FormData, name: str, limit: int = 300) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


async def _file(form: FormData) -> tuple[bytes, str]:
    """The chosen file, or the one the preview page carries (base64) when re-previewing."""
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read()
        name = upload.filename
    else:
        try:
            data = base64.b64decode(_text(form, "data", 2 * MAX_PREVIEW_BYTES), validate=True)
        except binascii.Error:
            data = b""
        name = _text(form, "filename") or "upload.csv"
    if not data:
        raise InputError("choose a CSV or xlsx file to upload", field="file")
    if len(data) > MAX_PREVIEW_BYTES:
        raise InputError(f"the file is over {MAX_PREVIEW_BYTES // 1024**2} MB; upload it through the API")
    return data, name


@dataclass(frozen=True)
class SpecWords:
    """The mapping form's choices, as the words ``flok.app.imports.spec_of`` takes."""

    maps: list[str]
    preset: str | None
    sheet: str | None
    shape: str | None
    value: str | None
    values: list[str]

    def spec(self) -> ImportSpec:
        return imports.spec_of(
            self.maps, self.preset, self.sheet, shape=self.shape, value=self.value, values=self.values
        )

    @property
    def values_text(self) -> str:
        return "\n".join(self.values)


def _spec_words(form: FormData, kind: TableKind) -> SpecWords:
    maps = [f"{f}={_text(form, 'map_' + f)}" for f in imports.fields_of(kind) if _text(form, "map_" + f)]
    shape = _text(form, "shape", 20)
    value = _text(form, "value", 20)
    # One value mapping per line, FIELD:WORD=VALUE ("host:Always Host=always").
    values = [line.strip() for line in _text(form, "values", 20_000).splitlines() if line.strip()][:500]
    return SpecWords(
        maps,
        _text(form, "preset", 100) or None,
        _text(form, "sheet", 200) or None,
        shape if shape in SHAPES and shape != "auto" else None,
        value if value in ("rank", "score") else None,
        values,
    )


@router.post("/campaigns/{campaign_id}/preview/{kind}")
async def preview(campaign_id: RowId, kind: str, request: Request, session: PostDep) -> Response:
    """The preview page: what Flok read, the mapping selects, problems, and the commit button."""
    table_kind = _kind(kind)
    state, org = state_of(request), org_of(session)
    campaign = campaign_view(await run_in_threadpool(app.get_campaign, state, org, campaign_id))
    form = await request.form()
    mode = "replace" if _text(form, "mode") == "replace" else "add"
    try:
        data, name = await _file(form)
        words = _spec_words(form, table_kind)
        spec = words.spec()
    except FlokError as exc:
        return redirect(
            request, f"/ui/campaigns/{campaign_id}#uploads", Flash(errors={table_kind: _error(exc)})
        )
    context: dict[str, Any] = {
        "title": f"Preview {LABELS[table_kind]}",
        "nav": "campaigns",
        "c": campaign,
        "kind": table_kind,
        "label": LABELS[table_kind],
        "mode": mode,
        "filename": name,
        "data": base64.b64encode(data).decode("ascii"),
        "preset": words.preset or "",
        "sheet": words.sheet or "",
        "shape": words.shape or "auto",
        "value": words.value or "rank",
        "values": words.values_text,
        "shapes": SHAPES,
        "presets": preset_names(),
        "fields": imports.fields_of(table_kind),
        "chosen": {m.split("=", 1)[0]: m.split("=", 1)[1] for m in words.maps},
        "headers": [],
        "seen": None,
        "error": None,
    }
    try:
        seen = await run_in_threadpool(
            imports.preview_upload, state, org, campaign_id, table_kind, data, name, spec
        )
    except FlokError as exc:
        context["error"] = _error(exc)
        try:
            context["headers"] = imports.headers_of(data, name, spec)
        except FlokError:
            return redirect(
                request, f"/ui/campaigns/{campaign_id}#uploads", Flash(errors={table_kind: _error(exc)})
            )
        return page(request, "import_preview.html", context)
    context["seen"] = seen.preview
    context["headers"] = seen.headers
    # Pre-fill each select with the header recognition chose (a single quoted header of the file).
    for fld, where in seen.preview.report.fields.items():
        header = where[1:-1] if where.startswith("'") and where.endswith("'") else None
        if header in seen.headers and fld not in context["chosen"]:
            context["chosen"][fld] = header
    return page(request, "import_preview.html", context)


@router.post("/campaigns/{campaign_id}/commit/{kind}")
async def commit(campaign_id: RowId, kind: str, request: Request, session: PostDep) -> Response:
    """Add (or, with ``mode=replace``, replace) the previewed file with the chosen mapping."""
    table_kind = _kind(kind)
    state, org = state_of(request), org_of(session)
    form = await request.form()
    replace = _text(form, "mode") == "replace"
    try:
        data, name = await _file(form)
        table = imports.read_upload(data, name, table_kind, _spec_words(form, table_kind).spec())
        use_case = app.replace_table if replace else app.upload_table
        count = await run_in_threadpool(use_case, state, org, campaign_id, table_kind, table)
    except FlokError as exc:
        await run_in_threadpool(app.get_campaign, state, org, campaign_id)  # else 404
        return redirect(
            request, f"/ui/campaigns/{campaign_id}#uploads", Flash(errors={table_kind: _error(exc)})
        )
    done = "replaced by" if replace else "added from"
    notice = f"{count:,} {LABELS[table_kind]} {done} {name}."
    return redirect(request, f"/ui/campaigns/{campaign_id}#uploads", Flash(notice=notice))


@router.get("/campaigns/{campaign_id}/clear/{kind}")
def clear_confirm(campaign_id: RowId, kind: str, request: Request, session: SessionDep) -> Response:
    table_kind = _kind(kind)
    campaign = campaign_view(app.get_campaign(state_of(request), org_of(session), campaign_id))
    context = {"title": f"Clear {LABELS[table_kind]}", "nav": "campaigns", "c": campaign, "kind": table_kind}
    return page(request, "confirm_clear.html", {**context, "label": LABELS[table_kind]})


@router.post("/campaigns/{campaign_id}/clear/{kind}")
async def clear(campaign_id: RowId, kind: str, request: Request, session: PostDep) -> Response:
    """Remove the whole upload of ``kind``, only with the confirmation page's ``confirm=yes``."""
    table_kind = _kind(kind)
    form = await request.form()
    if _text(form, "confirm") != "yes":
        return redirect(request, f"/ui/campaigns/{campaign_id}/clear/{kind}")
    state, org = state_of(request), org_of(session)
    try:
        removed = await run_in_threadpool(app.clear_table, state, org, campaign_id, table_kind)
    except FlokError as exc:
        await run_in_threadpool(app.get_campaign, state, org, campaign_id)
        return redirect(
            request, f"/ui/campaigns/{campaign_id}#uploads", Flash(errors={table_kind: _error(exc)})
        )
    notice = f"{removed:,} {LABELS[table_kind]} removed."
    return redirect(request, f"/ui/campaigns/{campaign_id}#uploads", Flash(notice=notice))


@router.get("/campaigns/{campaign_id}/delete")
def delete_confirm(campaign_id: RowId, request: Request, session: SessionDep) -> Response:
    campaign = campaign_view(app.get_campaign(state_of(request), org_of(session), campaign_id))
    return page(
        request,
        "confirm_delete.html",
        {"title": f"Delete {campaign.name}", "nav": "campaigns", "c": campaign},
    )


@router.post("/campaigns/{campaign_id}/delete")
async def delete(campaign_id: RowId, request: Request, session: PostDep) -> Response:
    """Delete the campaign and everything in it, only with the confirmation page's ``confirm=yes``."""
    form = await request.form()
    if _text(form, "confirm") != "yes":
        return redirect(request, f"/ui/campaigns/{campaign_id}/delete")
    state, org = state_of(request), org_of(session)
    name = (await run_in_threadpool(app.get_campaign, state, org, campaign_id)).campaign.name
    try:
        await run_in_threadpool(app.delete_campaign, state, org, campaign_id)
    except FlokError as exc:
        return redirect(request, f"/ui/campaigns/{campaign_id}", Flash(errors={"status": _error(exc)}))
    return redirect(request, "/ui/campaigns", Flash(notice=f"Campaign “{name}” deleted."))
