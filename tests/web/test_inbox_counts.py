"""Counting the inbox stops at a limit: beyond it the answer says "more than", never a slow exact count."""

from __future__ import annotations

from typing import Any

import pytest

from app.services import tasks
from tests.helpers import submit_permit


@pytest.fixture
def limit_two(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks, "COUNT_LIMIT", 2)


def test_at_or_under_the_limit_the_total_is_exact(api: Any, limit_two: None) -> None:
    for name in ("甲", "乙"):
        submit_permit(api, name)
    body = api.get("/api/v1/tasks?scope=group", "clerk").get_json()
    assert (body["total"], body["total_exact"], len(body["items"])) == (2, True, 2)


def test_over_the_limit_the_total_says_more_and_every_task_is_still_listed(
    api: Any, pages: Any, limit_two: None
) -> None:
    numbers = {submit_permit(api, name)["number"] for name in ("甲", "乙", "丙")}
    body = api.get("/api/v1/tasks?scope=group", "clerk").get_json()
    assert (body["total"], body["total_exact"]) == (2, False)
    assert {i["case_number"] for i in body["items"]} == numbers  # the page itself is not cut
    filtered = api.get(f"/api/v1/tasks?scope=group&q={sorted(numbers)[0]}", "clerk").get_json()
    assert (filtered["total"], filtered["total_exact"]) == (1, True)

    html = pages("clerk").get("/inbox?scope=group").get_data(as_text=True)
    assert "More than 2 tasks: narrow them with the filters" in html and ">2+</span>" in html
    zh = pages("clerk", language="zh_CN").get("/inbox?scope=group").get_data(as_text=True)
    assert "超过 2 项任务" in zh


def test_unknown_inbox_choices_fall_back_to_the_defaults(pages: Any) -> None:
    """The page parses its URL into the inbox's enums; what it does not know (a hand-edited
    address, `all` for a non-supervisor) becomes the default instead of an error."""
    html = pages("clerk").get("/inbox?scope=everyone&sort=name&sla=late").get_data(as_text=True)
    assert html.count('aria-current="page"') == 1 and 'value="due_at" selected' in html
    assert pages("clerk").get("/inbox?scope=all").status_code == 200
