"""Security headers on every response: a Content-Security-Policy, no framing, no MIME sniffing,
a same-origin Referrer-Policy, and HSTS when the service is served over HTTPS (FLOK_HTTPS).

The dashboard loads only its own files (vendored htmx, app.css; no inline script or style), so
its policy allows ``'self'`` and nothing else. Swagger UI and ReDoc (``/docs``, ``/redoc``) also
load only the service's own scripts, but style their widgets with inline styles and ReDoc runs
its search in a ``blob:`` worker: their policy allows those two things and nothing more.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self' data:; worker-src 'self' blob:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    """ASGI middleware: adds the headers to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp, *, https: bool, docs_paths: tuple[str, ...]) -> None:
        self.app = app
        self.https = https
        self.docs_paths = docs_paths

    def _headers(self, path: str) -> list[tuple[bytes, bytes]]:
        policy = DOCS_POLICY if path in self.docs_paths else PAGE_POLICY
        found = [
            (b"content-security-policy", policy.encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]
        if self.https:
            found.append((b"strict-transport-security", HSTS.encode()))
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._headers(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in extra if name not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
