"""Page dependencies: the signed-in organization, and the CSRF check every POST goes through."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Path, Request

from flok.app.fields import MAX_ROW_ID
from flok.web import session as sessions
from flok.web.session import Session


def signed_in(request: Request) -> Session:
    return sessions.require(request)


def posted(request: Request, csrf_token: Annotated[str | None, Form()] = None) -> Session:
    """A signed-in session whose CSRF token came with the form (field or htmx header)."""
    session = sessions.require(request)
    sessions.check_csrf(request, session, csrf_token)
    return session


SessionDep = Annotated[Session, Depends(signed_in)]
PostDep = Annotated[Session, Depends(posted)]


def org_of(session: Session) -> int:
    assert session.org_id is not None
    return session.org_id


RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]  # a page's numeric id, bounded like the API's
