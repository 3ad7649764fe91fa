"""Comments from the task page: an internal one never reaches the applicant's status page, a shared
one does; a bad comment is refused on the page in the user's language and stores nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.models import CaseComment
from tests.helpers import inbox_task, submit_permit


def test_internal_stays_with_staff_shared_reaches_the_status_page(api: Any, pages: Any) -> None:
    number = submit_permit(api, "页面评论项目")["number"]
    task = inbox_task(api, "clerk", number)
    clerk = pages("clerk")
    page = clerk.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert 'id="comment-text"' in page
    token = clerk.csrf(f"/tasks/{task['id']}")
    for text, visibility in (("内部：原件待核验", "internal"), ("请补交原件扫描件", "shared")):
        done = clerk.client.post(
            f"/tasks/{task['id']}/comments",
            data={"csrf_token": token, "text": text, "visibility": visibility},
        )
        assert done.status_code == 302
    page = clerk.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "内部：原件待核验" in page and "请补交原件扫描件" in page and "Shared with the applicant" in page

    status = pages("acme", language="zh_CN").get(f"/track/{number}").get_data(as_text=True)
    assert "请补交原件扫描件" in status and "关于本件的留言" in status
    assert "内部：原件待核验" not in status  # checked: internal never on the applicant's page
    # A reviewer of another agency sees both on the API, not on a page it cannot open.
    assert len(api.get(f"/api/v1/cases/{number}/comments", "planner").get_json()["items"]) == 2


def test_a_bad_comment_is_refused_on_the_page(api: Any, pages: Any, db: Any) -> None:
    number = submit_permit(api, "页面评论拒绝")["number"]
    task = inbox_task(api, "clerk", number)
    clerk = pages("clerk", language="zh_CN")
    token = clerk.csrf(f"/tasks/{task['id']}")
    refused = clerk.client.post(
        f"/tasks/{task['id']}/comments",
        data={"csrf_token": token, "text": "   ", "visibility": "internal"},
        follow_redirects=True,
    )
    assert refused.status_code == 200 and "未添加留言" in refused.get_data(as_text=True)
    assert (db.scalar(select(func.count()).select_from(CaseComment)) or 0) == 0
    db.rollback()
    # Someone who may not open the task cannot comment through it either.
    other = pages("inspector")
    token = other.csrf("/inbox")
    assert (
        other.client.post(
            f"/tasks/{task['id']}/comments", data={"csrf_token": token, "text": "x"}
        ).status_code
        == 403
    )
