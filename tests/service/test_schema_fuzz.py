"""Property-based API fuzzing: schemathesis drives the in-process ASGI app from its own OpenAPI document.

No generated request may cause a 5xx or a response that breaks the documented schema.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err, Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from flok.app.settings import Settings
from flok.server import create_app
from tests.service.conftest import new_key

_dir = Path(tempfile.mkdtemp(prefix="flok-fuzz-"))
atexit.register(shutil.rmtree, _dir, True)
app = create_app(Settings(database_url=f"sqlite:///{_dir / 'fuzz.db'}"))
KEY = new_key(app.state.flok.db, "fuzz")
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_never_errors_or_breaks_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {KEY}"},
        checks=[not_a_server_error, response_schema_conformance],
    )


# The same on PostgreSQL (its own error paths: row locks, ON CONFLICT, the async feedback
# writer), driven operation by operation so that the app is built only when a server answers.
@pytest.mark.slow
@pytest.mark.postgres
def test_api_on_postgres_never_errors_or_breaks_its_schema(pg_url: str) -> None:
    pg_app = create_app(Settings(database_url=pg_url, queue="thread"))
    key = new_key(pg_app.state.flok.db, "fuzz-pg")
    pg_schema = schemathesis.openapi.from_asgi("/openapi.json", pg_app)
    results = list(pg_schema.get_all_operations())
    broken = [r.err() for r in results if isinstance(r, Err)]
    assert not broken, broken  # every operation of the document is well-formed
    operations = [r.ok() for r in results if isinstance(r, Ok)]
    assert len(operations) > 30

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(
                headers={"Authorization": f"Bearer {key}"},
                checks=[not_a_server_error, response_schema_conformance],
            )

        fuzz()
