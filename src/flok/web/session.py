"""The dashboard's session: a signed, HTTP-only cookie holding the API key's row id and a CSRF token.

The raw key is checked once at sign-in (the service's own lookup) and never stored; each
request re-reads the key row, so revoking a key signs its browser sessions out at once.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.engine import make_url

from flok.service.deps import State, state_of
from flok.store.secrets import shared_secret
from flok.store.tables import api_keys, organizations

COOKIE = "flok_session"
MAX_AGE = 12 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class SignInRequired(Exception):
    """Raised by page handlers without a valid session; answered with a redirect to sign-in."""


class CsrfError(Exception):
    """A state-changing request without the session's CSRF token (or from another origin)."""


@dataclass(frozen=True)
class Session:
    csrf: str
    key_id: int | None = None
    org_id: int | None = None
    org_name: str = ""


def _secret(state: State) -> str:
    """FLOK_SESSION_SECRET, else a random secret kept next to the SQLite file (mode 0600), else
    (PostgreSQL) one kept in the database, so every server process and restart agrees on it.
    """
    env = os.environ.get("FLOK_SESSION_SECRET")
    if env:
        return env
    url = make_url(state.db.url)
    if state.db.is_sqlite and url.database not in (None, "", ":memory:"):
        path = Path(url.database).with_name("session-secret")
        try:
            if not path.exists():
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as out:
                    out.write(secrets.token_urlsafe(48))
            return path.read_text().strip()
        except FileExistsError:
            return path.read_text().strip()
    with state.db.write() as conn:  # PostgreSQL: one secret for every process, kept in the database
        return shared_secret(conn, "session")


def _serializer(request: Request) -> URLSafeTimedSerializer:
    app_state = request.app.state
    found: URLSafeTimedSerializer | None = getattr(app_state, "flok_web_signer", None)
    if found is None:
        found = URLSafeTimedSerializer(_secret(state_of(request)), salt="flok-web-session")
        app_state.flok_web_signer = found
    return found


def _key_owner(state: State, key_id: int) -> tuple[int, str] | None:
    """(org id, org name) of a key that still exists and is not revoked."""
    with state.db.read() as conn:
        row = conn.execute(
            select(api_keys.c.org_id, api_keys.c.revoked, organizations.c.name)
            .join(organizations, organizations.c.id == api_keys.c.org_id)
            .where(api_keys.c.id == key_id)
        ).first()
    if row is None or row.revoked:
        return None
    return int(row.org_id), str(row.name)


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
    key_id = data.get("kid")
    if isinstance(key_id, int):
        owner = _key_owner(state_of(request), key_id)
        if owner is not None:
            session = Session(csrf=session.csrf, key_id=key_id, org_id=owner[0], org_name=owner[1])
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


def key_id_for(state: State, key: str) -> int | None:
    """Row id of a valid key; the service's own check (hash compare) decides validity."""
    if state.org_for_key(key) is None:
        return None
    parts = key.split("_")
    with state.db.read() as conn:
        found = conn.execute(select(api_keys.c.id).where(api_keys.c.prefix == parts[1])).scalar()
    return None if found is None else int(found)


def write(request: Request, response: Response, session: Session) -> None:
    """Set the cookie: HttpOnly, SameSite=Lax, Secure when the request came over HTTPS."""
    payload: dict[str, object] = {"csrf": session.csrf}
    if session.key_id is not None:
        payload["kid"] = session.key_id
    response.set_cookie(
        COOKIE,
        _serializer(request).dumps(payload),
        max_age=MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def clear(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")


def signed_in(key_id: int) -> Session:
    """A new session at sign-in: a new CSRF token too, so a token seen before sign-in is worthless."""
    return Session(csrf=secrets.token_urlsafe(32), key_id=key_id)


def check_csrf(request: Request, session: Session, submitted: str | None) -> None:
    """Token from the form field or the htmx header must match; a cross-origin Origin is refused."""
    origin = request.headers.get("origin")
    # Host only: behind a TLS-terminating proxy the scheme seen here may differ from the browser's.
    if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise CsrfError
    token = submitted or request.headers.get(CSRF_HEADER) or ""
    if not hmac.compare_digest(token.encode(), session.csrf.encode()):
        raise CsrfError
