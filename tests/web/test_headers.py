"""Security headers on every answer (pages, API, docs) and HTTPS-only behaviour behind a proxy."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from flok.app.settings import Settings
from flok.server import create_app

from .conftest import Web, seeded

SAME = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def _policy(answer: object) -> dict[str, str]:
    header = answer.headers["content-security-policy"]  # type: ignore[attr-defined]
    return {part.split()[0]: part.strip() for part in header.split(";")}


def test_every_dashboard_page_has_the_security_headers(web: Web) -> None:
    pages = [web.client.get("/ui/login"), web.client.get("/ui/campaigns", follow_redirects=False)]
    web.sign_in()
    pages += [web.client.get(p) for p in ("/ui/campaigns", "/ui/campaigns/1", "/ui/community", "/ui/circles")]
    pages += [web.client.get("/ui/static/app.css"), web.client.get("/ui/nope")]
    for answer in pages:
        for name, value in SAME.items():
            assert answer.headers.get(name) == value, (answer.url, name)
        policy = _policy(answer)
        assert policy["script-src"] == "script-src 'self'", answer.url  # no inline script, no CDN
        assert policy["style-src"] == "style-src 'self'", answer.url
        assert policy["frame-ancestors"] == "frame-ancestors 'none'"
        assert "strict-transport-security" not in answer.headers  # plain HTTP and FLOK_HTTPS off


def test_pages_hold_no_inline_script_or_style(web: Web) -> None:
    web.sign_in()
    for path in ("/ui/login", "/ui/campaigns", "/ui/campaigns/1", "/ui/community", "/ui/circles"):
        html = web.client.get(path).text
        assert "<script>" not in html and "<script " not in html.replace('<script src="/ui/static/', "")
        assert " style=" not in html and "<style" not in html, path
        assert " onclick=" not in html and " onsubmit=" not in html and "hx-on" not in html, path


def test_api_answers_have_the_headers_too(web: Web) -> None:
    for answer in (
        web.client.get("/healthz"),
        web.client.get("/campaigns"),  # 401 without a key
        web.client.get("/openapi.json"),
    ):
        for name, value in SAME.items():
            assert answer.headers.get(name) == value, (answer.url, name)
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]


def test_over_https_cookies_are_secure_and_hsts_is_sent(tmp_path: Path) -> None:
    url, _ = seeded(tmp_path)
    app = create_app(Settings(database_url=url, https=True))
    with TestClient(app) as client:  # plain HTTP here, as behind a TLS-terminating proxy
        answer = client.get("/ui/login")
        assert "Secure" in answer.headers["set-cookie"]
        assert answer.headers["strict-transport-security"].startswith("max-age=")
        assert client.get("/healthz").headers["strict-transport-security"].startswith("max-age=")
    app.state.flok.db.dispose()
