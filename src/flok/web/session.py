"""The dashboard's session: a signed, HTTP-only cookie holding a server-side session id and a CSRF token.

The raw key is checked once at sign-in (the service's own lookup) and never stored. Sign-in
opens a session row in the database; every request re-reads it with its key, so signing out
(the row is deleted), the session's 12 h lifetime, or revoking the key ends the session at once,
even for copies of the cookie. Before sign-in the cookie holds only a CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from flok.app import keys
from flok.errors import RefusedError
from flok.web.context import state_of

COOKIE = "flok_session"
MAX_AGE = 12 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class SignInRequired(RefusedError):
    """Raised by page handlers without a valid session; answered with a redirect to sign-in."""

    code = "SIGN_IN_REQUIRED"

    def __init__(self) -> None:
        super().__init__("sign in with an API key")


class CsrfError(RefusedError):
    """A state-changing request without the session's CSRF token (or from another origin)."""

    code = "CSRF"

    def __init__(self) -> None:
        super().__init__("This form expired or came from another site. Reload the page and try again.")


@dataclass(frozen=True)
class Session:
    csrf: str
    sid: str | None = None  # the server-side session's id; None before sign-in
    key_id: int | None = None
    org_id: int | None = None
    org_name: str = ""


def _serializer(request: Request) -> URLSafeTimedSerializer:
    app_state = request.app.state
    found: URLSafeTimedSerializer | None = getattr(app_state, "flok_web_signer", None)
    if found is None:
        found = URLSafeTimedSerializer(keys.session_secret(state_of(request)), salt="flok-web-session")
        app_state.flok_web_signer = found
    return found


def read(request: Request) -> Session | None:
    """The request's session, or None when there is no valid cookie."""
    cached: Session | None = getattr(request.state, "flok_session", None)
    if cached is not None:
        return cached
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(request).loads(raw, max_age=MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
        return None
    session = Session(csrf=data["csrf"])
    sid = data.get("sid")
    if isinstance(sid, str):
        owner = keys.session_owner(state_of(request), sid)
        if owner is not None:
            session = Session(session.csrf, sid, owner.key_id, owner.org_id, owner.org_name)
    request.state.flok_session = session
    return session


def ensure(request: Request) -> Session:
    """The session, or a fresh anonymous one (so the sign-in form has a CSRF token too)."""
    session = read(request) or Session(csrf=secrets.token_urlsafe(32))
    request.state.flok_session = session
    return session


def require(request: Request) -> Session:
    session = read(request)
    if session is None or session.org_id is None:
        raise SignInRequired
    return session


def write(request: Request, response: Response, session: Session) -> None:
    """Set the cookie: HttpOnly, SameSite=Lax, Secure over HTTPS (or when FLOK_HTTPS says the
    service is served over HTTPS behind a proxy)."""
    payload: dict[str, object] = {"csrf": session.csrf}
    if session.sid is not None:
        payload["sid"] = session.sid
    response.set_cookie(
        COOKIE,
        _serializer(request).dumps(payload),
        max_age=MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or state_of(request).settings.https


def sign_out(request: Request, response: Response, session: Session) -> None:
    """End the server-side session (every copy of the cookie dies with it) and drop the cookie."""
    if session.sid is not None:
        keys.end_session(state_of(request), session.sid)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))


def signed_in(request: Request, key_id: int) -> Session:
    """A new server-side session at sign-in, with a new CSRF token too, so a token seen before
    sign-in is worthless."""
    sid = keys.start_session(state_of(request), key_id, MAX_AGE)
    return Session(csrf=secrets.token_urlsafe(32), sid=sid, key_id=key_id)


def check_csrf(request: Request, session: Session, submitted: str | None) -> None:
    """Token from the form field or the htmx header must match; a cross-origin Origin is refused."""
    origin = request.headers.get("origin")
    # Host only: behind a TLS-terminating proxy the scheme seen here may differ from the browser's.
    if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise CsrfError
    token = submitted or request.headers.get(CSRF_HEADER) or ""
    if not hmac.compare_digest(token.encode(), session.csrf.encode()):
        raise CsrfError
