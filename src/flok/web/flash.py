"""One-time messages across a redirect, so every form post ends on a GET page (post/redirect/get).

After a form post the dashboard always redirects; what the next page must say — "Options
saved", or the error with its row, field and line, and the values the organizer typed — travels
in a short-lived signed cookie (``flok_flash``, HttpOnly, path ``/ui``, 5 minutes), bound to the
session's CSRF token so it is shown only in the browser session that posted. The page that
shows it deletes it, so a refresh neither re-submits the form nor repeats the message. The
cookie is kept under browsers' 4 KB limit: a long typed value is dropped first (the form then
shows the stored options), then long messages are shortened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from flok.app import keys
from flok.web import session as sessions
from flok.web.context import state_of

COOKIE = "flok_flash"
MAX_AGE = 300
MAX_BYTES = 3800  # a browser keeps cookies up to 4096 bytes, name and attributes included
PATH = "/ui"


@dataclass(frozen=True)
class Flash:
    """What the next page shows once: a success ``notice``, errors by the page's section (as
    ``render.problem`` words them), and the posted ``form`` values to put back."""

    notice: str | None = None
    errors: dict[str, dict[str, Any]] = field(default_factory=dict)
    form: dict[str, Any] | None = None


def _signer(request: Request) -> URLSafeTimedSerializer:
    app_state = request.app.state
    found: URLSafeTimedSerializer | None = getattr(app_state, "flok_web_flash_signer", None)
    if found is None:
        found = URLSafeTimedSerializer(keys.session_secret(state_of(request)), salt="flok-web-flash")
        app_state.flok_web_flash_signer = found
    return found


def _fitted(signer: URLSafeTimedSerializer, payload: dict[str, Any]) -> str:
    """The signed payload, shrunk until it fits in a cookie."""
    value = signer.dumps(payload)
    if len(value) > MAX_BYTES and payload.get("form"):
        payload = {**payload, "form": None}
        value = signer.dumps(payload)
    limit = 400
    while len(value) > MAX_BYTES and limit >= 50:
        errors = {
            k: {f: (v[:limit] + "…" if isinstance(v, str) and len(v) > limit else v) for f, v in e.items()}
            for k, e in payload["errors"].items()
        }
        notice = payload["notice"][:limit] if payload.get("notice") else payload.get("notice")
        value = signer.dumps({**payload, "errors": errors, "notice": notice})
        limit //= 2
    return value


def put(request: Request, response: Response, flash: Flash) -> None:
    """Attach ``flash`` to a redirect answer."""
    csrf = sessions.ensure(request).csrf
    payload = {"csrf": csrf, "notice": flash.notice, "errors": flash.errors, "form": flash.form}
    response.set_cookie(
        COOKIE,
        _fitted(_signer(request), payload),
        max_age=MAX_AGE,
        path=PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" or state_of(request).settings.https,
    )


def take(request: Request) -> Flash | None:
    """The flash this request carries (once: ``render.page`` deletes the cookie), if it is valid
    and was set in this browser session."""
    if getattr(request.state, "flok_flash_taken", False):
        found: Flash | None = request.state.flok_flash
        return found
    request.state.flok_flash_taken, request.state.flok_flash = True, None
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _signer(request).loads(raw, max_age=MAX_AGE)
    except BadSignature:
        return None
    current = sessions.read(request)
    if not isinstance(data, dict) or current is None or data.get("csrf") != current.csrf:
        return None
    errors = data.get("errors") if isinstance(data.get("errors"), dict) else {}
    form = data.get("form") if isinstance(data.get("form"), dict) else None
    notice = data.get("notice") if isinstance(data.get("notice"), str) else None
    request.state.flok_flash = Flash(notice, errors or {}, form)
    return request.state.flok_flash


def forget(request: Request, response: Response) -> None:
    """Delete the flash cookie once a page has shown it."""
    if getattr(request.state, "flok_flash_taken", False) and COOKIE in request.cookies:
        response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="lax")
