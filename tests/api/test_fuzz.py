"""Schemathesis fuzzes every operation of the API from its own OpenAPI document.

A 5xx is a bug to fix, never a case to skip; status codes and bodies must also match what the
document says. Each generated request is sent as a reviewer, as an applicant and anonymously.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.helpers import submit_permit

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture
def api_schema(app: Any, api: Any) -> Any:
    submit_permit(api, "模糊测试项目")  # real data, so fuzzed ids sometimes hit something
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_operation_answers_5xx_or_breaks_its_contract(case: Any, api: Any) -> None:
    for user in ("clerk", "acme", None):
        headers = api.headers(user) if user else {}
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)
