"""Limits at the edge: a body-size limit enforced while the body streams in (so a huge upload
never fills memory), and a guard that refuses JSON bodies no later layer could handle."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flok.io import json_text


class BodyLimit:
    """Answer 413 when Content-Length or the streamed body exceeds ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self._reject(send)
                    return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(send)

    async def _reject(self, send: Send) -> None:
        await _error(send, 413, "TOO_LARGE", f"request body is over the limit of {self.max_bytes} bytes")


class _TooLarge(Exception):
    pass


class JsonGuard:
    """Answer 422 ``INVALID_JSON`` for a JSON body nested too deeply, holding a lone surrogate
    (``"\\ud800"``) or not in UTF-8, before any route parses it.

    Python's parser takes all three, and each later breaks something with a 500 (a recursive
    walk, encoding the response, a JSON column) -- or worse, after the value was stored. A body
    counts as JSON when its content type says so (``application/json``, ``…+json``) or when
    it has none, since the API then parses it as JSON too. It sits inside ``BodyLimit``, so the
    body it buffers is bounded; other bodies (CSV, forms) pass through untouched.
    """

    def __init__(self, app: ASGIApp, max_depth: int = json_text.MAX_DEPTH) -> None:
        self.app = app
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        found = json_text.problem(body, self.max_depth) if body else None
        if found is not None:
            await _error(send, 422, "INVALID_JSON", found)
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body}], receive), send)


def _is_json(scope: Scope) -> bool:
    if scope.get("method") in ("GET", "HEAD", "OPTIONS"):
        return False
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            kind = value.split(b";")[0].strip().lower()
            return kind == b"application/json" or kind.endswith(b"+json")
    return True


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that hands out the buffered messages first, then the real ones."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def _error(send: Send, status: int, code: str, message: str) -> None:
    """The API's error shape, sent before any route runs."""
    error = {"code": code, "message": message, "field": None, "row": None}
    body = json.dumps(error, separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
