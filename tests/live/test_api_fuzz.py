"""Schemathesis over every operation of /openapi.json on the live app, anonymous and with each kind of
credential: no 5xx, no status code the document does not list, no response that breaks its schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from shopsearch.access import tokens
from tests.live.test_access_live import SECRET, guarded  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.engine, pytest.mark.slow]
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.response_schema_conformance,
    checks.content_type_conformance,
]
EXAMPLES = 25  # per operation, each sent with 4 credentials: about 14 operations x 25 x 4 = 1,400 requests


def test_generated_requests_get_no_5xx_no_undocumented_status_no_broken_schema(guarded) -> None:  # noqa: F811
    shopper = tokens.sign(SECRET, "fuzzed-shopper", 3600)
    credentials = [
        {},
        *({"Authorization": f"Bearer {key}"} for key in guarded["keys"].values()),
        {"Authorization": f"Bearer {shopper}"},
    ]
    schema = schemathesis.openapi.from_wsgi("/openapi.json", guarded["app"])
    sent, failures = [], []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def fuzz(case) -> None:  # noqa: ANN001
            for headers in credentials:
                sent.append(case.call_and_validate(headers=headers, checks=CHECKS).status_code)

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failures are reported together
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    assert len(sent) >= 1000, len(sent)
