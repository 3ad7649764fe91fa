"""Hostile JSON bodies answer 400 before anything runs; a 422 quotes only a short prefix of a bad value."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import permit_application

BODIES = {
    "lone surrogate": '{"process": "construction_permit", "data": {"project_name": "\\ud800"}}',
    "deep nesting": '{"process": "construction_permit", "data": ' + "[" * 5000 + "]" * 5000 + "}",
    "huge integer": '{"process": "construction_permit", "data": {"floor_area": ' + "9" * 5000 + "}}",
}


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_hostile_bodies_answer_400(api: Any, kind: str, db: Any) -> None:
    response = api.post(
        "/api/v1/cases", "acme", data=BODIES[kind].encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert set(body) == {"code", "status", "message", "errors"}
    from sqlalchemy import func, select

    from app.models import Case

    assert db.scalar(select(func.count()).select_from(Case)) == 0
    db.rollback()


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_hostile_bodies_on_pages_answer_400(client: Any, kind: str) -> None:
    response = client.post("/login", data=BODIES[kind].encode(), headers={"Content-Type": "application/json"})
    assert response.status_code == 400


def test_invalid_utf8_answers_400(api: Any) -> None:
    response = api.post(
        "/api/v1/cases", "acme", data=b'{"process": "\xff"}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400


def test_a_422_quotes_only_a_short_prefix_of_the_bad_value(api: Any) -> None:
    data = permit_application("x" * 1_000_000)
    response = api.post("/api/v1/cases", "acme", json={"process": "construction_permit", "data": data})
    assert response.status_code == 422
    assert len(response.get_data()) < 2_000
    [message] = response.get_json()["errors"]["project_name"]
    assert message.startswith("'xxxx") and "is too long" in message
