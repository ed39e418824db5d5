"""The process's ``flok.app`` state, as the composition root (``flok.server``) put it on the app."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from flok.app.state import State


def state_of(request: Request) -> State:
    state: State = request.app.state.flok
    return state


StateDep = Annotated[State, Depends(state_of)]
