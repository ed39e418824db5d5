"""Sign in with an organization's API key, sign out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from flok.app import keys
from flok.web import flash
from flok.web import session as sessions
from flok.web.context import StateDep
from flok.web.deps import PostDep
from flok.web.render import page, redirect

router = APIRouter()


@router.get("/")
def root(request: Request) -> Response:
    return redirect(request, "/ui/")


@router.get("/ui")
@router.get("/ui/")
def home(request: Request) -> Response:
    found = sessions.read(request)
    return redirect(request, "/ui/campaigns" if found and found.org_id else "/ui/login")


@router.get("/ui/login")
def login_form(request: Request) -> Response:
    shown = flash.take(request)
    error = shown.errors.get("login", {}).get("message") if shown else None
    return page(request, "login.html", {"title": "Sign in", "error": error})


@router.post("/ui/login")
def login(
    request: Request,
    state: StateDep,
    api_key: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """The key is checked with the service's own lookup, then forgotten: the cookie holds its row id."""
    anonymous = sessions.ensure(request)
    sessions.check_csrf(request, anonymous, csrf_token)
    key_id = keys.key_id_for(state, api_key.strip()) if api_key.strip() else None
    if key_id is None:  # back to the form (a GET: a refresh does not send the key again)
        refused = {"message": "That API key is unknown or revoked."}
        return redirect(request, "/ui/login", flash.Flash(errors={"login": refused}))
    response = redirect(request, "/ui/campaigns")
    sessions.write(request, response, sessions.signed_in(request, key_id))
    return response


@router.post("/ui/logout")
def logout(request: Request, session: PostDep) -> Response:
    """Ends the session on the server, not only in this browser: a copied cookie stops working."""
    response = redirect(request, "/ui/login")
    sessions.sign_out(request, response, session)
    return response
