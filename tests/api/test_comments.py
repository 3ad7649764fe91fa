"""Comments on a case (API.md "Workspace"): internal ones for staff only, shared ones also for the
applicant; who may write; refusals name the problem and store nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.models import AuditEvent, CaseComment
from tests.helpers import submit_permit


def _count(db: Any) -> int:
    n = db.scalar(select(func.count()).select_from(CaseComment)) or 0
    db.rollback()
    return int(n)


def test_staff_see_all_the_applicant_only_shared(api: Any, db: Any) -> None:
    number = submit_permit(api, "评论项目")["number"]
    url = f"/api/v1/cases/{number}/comments"
    internal = api.post(url, "clerk", json={"text": "材料原件待核验", "visibility": "internal"})
    assert internal.status_code == 201, internal.get_json()
    assert internal.get_json()["author"] == "clerk" and internal.get_json()["group"] == "window"
    shared = api.post(url, "clerk", json={"text": "请于周五前补交原件", "visibility": "shared"})
    assert shared.status_code == 201
    # The applicant's own comment is always shared, whatever it asks for.
    own = api.post(url, "acme", json={"text": "已安排快递", "visibility": "internal"})
    assert own.status_code == 201 and own.get_json()["visibility"] == "shared"

    staff_view = api.get(url, "planner").get_json()["items"]  # any staff member reads
    assert [c["text"] for c in staff_view] == ["材料原件待核验", "请于周五前补交原件", "已安排快递"]
    applicant_view = api.get(url, "acme").get_json()["items"]
    assert [c["text"] for c in applicant_view] == ["请于周五前补交原件", "已安排快递"]
    assert {c["visibility"] for c in applicant_view} == {"shared"}
    # Each comment is audited.
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.action == "case.commented")).all()
    db.rollback()
    assert len(actions) == 3


def test_refusals_name_the_problem_and_store_nothing(api: Any, db: Any) -> None:
    number = submit_permit(api, "评论拒绝项目")["number"]
    url = f"/api/v1/cases/{number}/comments"
    before = _count(db)
    # Staff of a group with no task on the case may read but not write.
    refused = api.post(url, "planner", json={"text": "路过", "visibility": "internal"})
    assert refused.status_code == 403 and "comment" in refused.get_json()["message"]
    assert api.post(url, "clerk", json={"text": "", "visibility": "internal"}).status_code == 422
    wrong = api.post(url, "clerk", json={"text": "x", "visibility": "public"})
    assert wrong.status_code == 422 and "visibility" in wrong.get_json()["errors"]
    assert api.post(url, "clerk", json={"text": "x" * 2001}).status_code == 422
    # Another company: the same 404 as an unknown case; nobody unauthenticated.
    assert api.get(url, "buildco").status_code == 404
    assert api.post(url, "buildco", json={"text": "hi"}).status_code == 404
    assert api.get("/api/v1/cases/ZZ20990101000000/comments", "clerk").status_code == 404
    assert api.get(url).status_code == 401
    assert _count(db) == before


def test_the_task_view_carries_the_comments(api: Any) -> None:
    number = submit_permit(api, "评论任务项目")["number"]
    api.post(
        f"/api/v1/cases/{number}/comments", "clerk", json={"text": "先核对用地证", "visibility": "internal"}
    )
    task = api.get(f"/api/v1/tasks?q={number}", "clerk").get_json()["items"][0]
    shown = api.get(f"/api/v1/tasks/{task['id']}", "clerk").get_json()
    assert [c["text"] for c in shown["comments"]] == ["先核对用地证"]
    assert shown["comments"][0]["visibility"] == "internal"
