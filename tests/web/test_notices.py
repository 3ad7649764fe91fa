"""Notices (issue 19): a notice the publisher drafts is public only once the section head and the
leader approved it in their inboxes; a returned one shows the comments on the drafter's task with
the draft filled in; the feed lists it; its Markdown comes through with no script, no
``javascript:`` link and no raw HTML; a withdrawn one is gone (404), audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select

from app import clock
from app.models import AuditEvent, Case, User
from app.services import admin
from app.services.notices import render_markdown
from tests.helpers import fire_at, inbox_task, user_named

BODY = (
    "各有关单位：\n\n**请于月底前**完成自查。<script>alert(1)</script>\n\n"
    "[详情](javascript:alert(2)) [网站](https://example.org/a)\n\n<b onclick=x>粗</b>"
)
NOTICE = {
    "title": "关于开展安全生产大检查的通知",
    "kind": "notice",
    "level": "local",
    "business": "safety",
    "body": BODY,
}


def _text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def _complete(api: Any, user: str, number: str, name_en: str, data: dict[str, Any]) -> None:
    task = inbox_task(api, user, number, name_en)
    response = api.post(f"/api/v1/tasks/{task['id']}/complete", user, json={"data": data})
    assert response.status_code == 200, response.get_json()


def test_a_notice_is_public_only_after_both_approvals_and_a_returned_one_shows_the_comments(
    app: Any, db: Any, api: Any, pages: Any
) -> None:
    started = api.post(
        "/api/v1/cases",
        "publisher",
        json={"process": "notice_publication", "data": {"notice": NOTICE, "publication": "now"}},
    )
    assert started.status_code == 201, started.get_json()
    number = started.get_json()["number"]
    public = pages(None)
    assert public.get(f"/notices/{number}").status_code == 404
    # The leader returns it; the drafter's task says why and holds the draft to revise.
    _complete(api, "notice_chief", number, "Section head's review", {"decision": "approve"})
    assert public.get(f"/notices/{number}").status_code == 404
    _complete(
        api, "director", number, "Leader's review", {"decision": "return", "comments": "请写明检查范围"}
    )
    revise = inbox_task(api, "publisher", number, "Revise the notice")
    page = _text(pages("publisher").get(f"/tasks/{revise['id']}"))
    assert "请写明检查范围" in page and NOTICE["title"] in page
    assert number not in _text(public.get("/notices"))
    revised = {**NOTICE, "body": BODY + "\n\n检查范围：全市在建项目。"}
    _complete(api, "publisher", number, "Revise the notice", {"notice": revised})
    _complete(api, "notice_chief", number, "Section head's review", {"decision": "approve"})
    _complete(api, "director", number, "Leader's review", {"decision": "approve"})
    html = _text(public.get(f"/notices/{number}"))
    assert NOTICE["title"] in html and "检查范围：全市在建项目。" in html
    assert "<strong>请于月底前</strong>" in html and 'href="https://example.org/a"' in html
    # Raw HTML comes through as text, never as markup; a javascript: link is no link.
    assert "<script>alert" not in html and 'href="javascript' not in html and "<b onclick" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert number in _text(public.get("/notices?q=检查范围&category=notice"))
    assert number not in _text(public.get("/notices?q=%25%25"))  # a wildcard is a literal %
    assert number not in _text(public.get("/notices?category=policy"))
    assert public.get("/notices?category=nonsense").status_code == 422
    feed = public.get("/notices/feed.xml?category=notice")
    assert feed.status_code == 200 and feed.mimetype == "application/atom+xml"
    assert f"/notices/{number}</id>" in _text(feed) and NOTICE["title"] in _text(feed)
    spoofed = public.client.get("/notices/feed.xml", headers={"Host": "evil.example"})
    assert spoofed.status_code == 200 and "evil.example" not in _text(spoofed)  # links: the base URL
    # Withdrawn with a reason (audited): gone publicly.
    assert (
        pages("publisher")
        .post(f"/notices/{number}/withdraw", {"reason": "x"}, page=f"/notices/{number}")
        .status_code
        == 403
    )
    # The head of a group that never reviewed it neither sees the button nor withdraws it.
    chief = pages("inspection_chief")
    assert '/withdraw"' not in _text(chief.get(f"/notices/{number}"))
    assert (
        chief.post(f"/notices/{number}/withdraw", {"reason": "x"}, page=f"/notices/{number}").status_code
        == 403
    )
    done = pages("notice_chief").post(
        f"/notices/{number}/withdraw", {"reason": "内容有误"}, page=f"/notices/{number}"
    )
    assert done.status_code == 302
    assert public.get(f"/notices/{number}").status_code == 404
    assert NOTICE["title"] not in _text(public.get("/notices/feed.xml"))
    case = db.scalar(select(Case).where(Case.number == number))
    action = db.scalar(
        select(AuditEvent.action).where(
            AuditEvent.case_id == case.id, AuditEvent.action == "case.disclosure_withheld"
        )
    )
    assert action == "case.disclosure_withheld"
    db.rollback()


def test_the_section_review_is_for_the_sections_head_not_every_member(db: Any, api: Any) -> None:
    """Security review (session 8), finding 3: 科室负责人审核 is the head's (the BPMN property
    `supervisors_only`); a member of the review section neither sees it in the inbox nor completes it."""
    member = admin.NewStaff("notice_member", "审核科员", "Review-member-2026", groups=("notice_review",))
    admin.create_staff(db, user_named(db, "admin"), member)
    db.commit()
    try:
        started = api.post(
            "/api/v1/cases",
            "publisher",
            json={"process": "notice_publication", "data": {"notice": NOTICE, "publication": "now"}},
        )
        number = started.get_json()["number"]
        listed = api.get(f"/api/v1/tasks?scope=group&q={number}", "notice_member").get_json()
        assert listed["items"] == []
        task = inbox_task(api, "notice_chief", number, "Section head's review")
        assert api.get(f"/api/v1/tasks/{task['id']}", "notice_member").status_code == 403
        refused = api.post(
            f"/api/v1/tasks/{task['id']}/complete", "notice_member", json={"data": {"decision": "approve"}}
        )
        assert refused.status_code == 403
        _complete(api, "notice_chief", number, "Section head's review", {"decision": "approve"})
    finally:
        db.execute(delete(User).where(User.username == "notice_member"))
        db.commit()


def test_a_scheduled_notice_waits_for_its_timer(app: Any, db: Any, api: Any, pages: Any) -> None:
    day = (clock.now() + timedelta(days=3)).date().isoformat()
    data = {"notice": {**NOTICE, "title": "定时发布的通知"}, "publication": "scheduled", "publish_on": day}
    number = api.post(
        "/api/v1/cases", "publisher", json={"process": "notice_publication", "data": data}
    ).get_json()["number"]
    _complete(api, "notice_chief", number, "Section head's review", {"decision": "approve"})
    _complete(api, "director", number, "Leader's review", {"decision": "approve"})
    assert pages(None).get(f"/notices/{number}").status_code == 404
    case = db.scalar(select(Case).where(Case.number == number))
    assert fire_at(db, case, clock.now() + timedelta(days=4)) >= 1
    assert pages(None).get(f"/notices/{number}").status_code == 200


def test_markdown_is_rendered_without_html_or_script_links() -> None:
    html = render_markdown(
        "<img src=x onerror=alert(1)>\n\n[a](javascript:alert(1)) [b](JaVaScRiPt:x) <i>x</i>"
    )
    assert "<img" not in html and 'href="javascript' not in html.lower() and "<i>" not in html


def _publish(api: Any, title: str, body: str) -> str:
    data = {"notice": {**NOTICE, "title": title, "body": body}, "publication": "now"}
    made = api.post("/api/v1/cases", "publisher", json={"process": "notice_publication", "data": data})
    number = str(made.get_json()["number"])
    _complete(api, "notice_chief", number, "Section head's review", {"decision": "approve"})
    _complete(api, "director", number, "Leader's review", {"decision": "approve"})
    return number


def test_the_search_finds_every_published_notice_a_page_at_a_time(
    api: Any, pages: Any, monkeypatch: Any
) -> None:
    from app.services import notices

    older = _publish(api, "关于扬尘治理的通知", "全市工地落实扬尘治理措施。")
    newer = [_publish(api, f"质量安全通报（第{n}期）", "本期通报。") for n in (1, 2)]
    # Pages of one notice, and (before) a listing that read only the newest notice: the older one
    # must still be found, its filters and words applied by the query over all of them.
    monkeypatch.setattr(notices, "PER_PAGE", 1)
    monkeypatch.setattr(notices, "LIMIT", 1, raising=False)
    public = pages(None)
    found = _text(public.get("/notices?q=扬尘治理&category=notice"))
    assert older in found and all(n not in found for n in newer)
    assert older in _text(public.get("/notices?q=落实扬尘"))  # words of the body too
    first, last = _text(public.get("/notices")), _text(public.get("/notices?page=3"))
    assert newer[1] in first and older not in first and 'rel="next"' in first
    assert older in last and 'rel="next"' not in last and 'rel="prev"' in last
    assert older not in _text(public.get("/notices?q=扬尘治理&level=national"))
