"""/docs and /redoc work without internet: every asset they load comes from the service itself."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from flok.app.settings import Settings
from flok.server import create_app

REFERENCES = re.compile(r'(?:src|href|spec-url|data-openapi-url)="([^"]+)"')


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=sqlite_url))
    with TestClient(app) as c:
        yield c
    app.state.flok.db.dispose()


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_only_local_assets(client: TestClient, page: str) -> None:
    answer = client.get(page)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    urls = REFERENCES.findall(answer.text)
    assert urls, "the page loads nothing?"
    assert any(u.endswith(".js") for u in urls) and "/openapi.json" in urls
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), f"{page} loads {url} from elsewhere"
        fetched = client.get(url)
        assert fetched.status_code == 200 and len(fetched.content) > 100, url
    assert "<script>" not in answer.text  # Swagger UI is started from a file (CSP: no inline script)


def test_vendored_assets_have_their_licenses(client: TestClient) -> None:
    for name in ("swagger-ui.LICENSE.txt", "redoc.LICENSE.txt"):
        assert client.get(f"/docs-static/{name}").status_code == 200
