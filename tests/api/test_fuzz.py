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

from tests.api.test_hostile_json import BODIES
from tests.helpers import inbox_task, submit_permit

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


# Hand-written cases beside the generated ones: the three bodies that used to answer 500 (a lone
# surrogate, arrays 5,000 deep, a 5,000-digit integer), sent raw to every operation taking JSON, as
# a reviewer, an applicant, an administrator and anonymously. Each answers 400 before anything
# else runs (no authentication, no lookup of the case or task named in the path), as documented.
ROLES = ("clerk", "acme", "admin", None)


def _path_values(api: Any, number: str) -> dict[str, Any]:
    task = inbox_task(api, "clerk", number)
    return {"key": "construction_permit", "number": number, "task_id": task["id"], "username": "clerk"}


def test_the_hostile_bodies_answer_400_on_every_json_operation_for_every_role(
    api_schema: Any, api: Any
) -> None:
    number = api.get("/api/v1/tasks?scope=group", "clerk").get_json()["items"][0]["case_number"]
    values = _path_values(api, number)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    taking_json = [
        op
        for op in operations
        if "application/json" in (op.definition.raw.get("requestBody") or {}).get("content", {})
    ]
    assert len(taking_json) >= 15  # every POST with a JSON body, not a few
    seen = 0
    for operation in taking_json:
        names = {p.name for p in operation.path_parameters}
        for kind, body in BODIES.items():
            for user in ROLES:
                case = operation.Case(
                    path_parameters={name: values[name] for name in names},
                    body=body.encode(),
                    media_type="application/json",
                )
                headers = api.headers(user) if user else {}
                response = case.call(headers=headers)
                case.validate_response(response, checks=CHECKS, headers=headers)
                assert response.status_code == 400, (operation.label, kind, user, response.text[:300])
                assert set(response.json()) == {"code", "status", "message", "errors"}
                seen += 1
    assert seen == len(taking_json) * len(BODIES) * len(ROLES)
