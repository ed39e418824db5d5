"""Property-based API fuzzing: schemathesis drives the in-process ASGI app from its own OpenAPI document.

No generated request may cause a 5xx or a response that breaks the documented schema, and every
schemathesis check runs (status codes, content types, headers, response schemas, negative data
rejected) except ``positive_data_acceptance``, which is replaced by a stricter reading of the same
promise: a request that matches the document may be refused only for a rule the document states in
words and a JSON schema cannot (an end before its start, a time in the future, a file's contents),
and then as ``422 INVALID_INPUT`` naming the field or row — never as ``VALIDATION_ERROR``, which
means the document failed to say what the service checks.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.failures import Failure
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.result import Err, Ok
from schemathesis.specs.openapi.checks import positive_data_acceptance

from flok.app.settings import Settings
from flok.server import create_app
from tests.service.conftest import new_key

_dir = Path(tempfile.mkdtemp(prefix="flok-fuzz-"))
atexit.register(shutil.rmtree, _dir, True)
app = create_app(Settings(database_url=f"sqlite:///{_dir / 'fuzz.db'}"))
KEY = new_key(app.state.flok.db, "fuzz")
schema = schemathesis.openapi.from_asgi("/openapi.json", app)

# Statuses a well-formed request may meet for reasons no schema can know in advance.
_STATE_REFUSALS = {401, 403, 404, 409, 413, 429}


class RefusedWithoutStatedRule(Failure):
    """A request the document accepts was refused as malformed."""


def refused_only_for_a_stated_rule(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    status = response.status_code
    if status < 400 or status >= 500 or status in _STATE_REFUSALS:
        return None
    body = response.json() if status == 422 else {}
    stated = (
        status == 422
        and body.get("code") == "INVALID_INPUT"
        and body.get("message")
        and (body.get("field") or body.get("row"))
    )
    if not stated:
        raise RefusedWithoutStatedRule(
            operation=case.operation.label,
            title="Schema-valid request refused without a stated rule",
            message=f"{status}: {response.text[:300]}",
        )
    return None


def auth(case: schemathesis.Case, key: str) -> dict[str, str]:
    """The API key, unless schemathesis made the case's headers invalid on purpose (a negative
    ``Authorization`` from the security scheme), which a valid key would quietly repair."""
    components = case.meta.components if case.meta else {}
    headers = components.get(ParameterLocation.HEADER)
    if headers is not None and not headers.mode.is_positive:
        return {}
    return {"Authorization": f"Bearer {key}"}


EXCLUDED: list[schemathesis.CheckFunction] = [positive_data_acceptance]
ADDED: list[schemathesis.CheckFunction] = [refused_only_for_a_stated_rule]


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_never_errors_or_breaks_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers=auth(case, KEY),
        excluded_checks=EXCLUDED,
        additional_checks=ADDED,
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
                headers=auth(case, key),
                excluded_checks=EXCLUDED,
                additional_checks=ADDED,
            )

        fuzz()
