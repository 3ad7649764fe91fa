"""The admin console's pages: admins only, CSRF, errors next to their fields, every change audited."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from app.models import AuditEvent, RuntimeSetting
from tests.helpers import user_named

PAGES = [
    "/admin",
    "/admin/users",
    "/admin/users/clerk",
    "/admin/groups",
    "/admin/groups/fire",
    "/admin/calendar",
    "/admin/settings",
    "/admin/webhooks",
]
NEW_PASSWORD = "Another-pass-77"


def _actions(db: Any) -> list[tuple[str, str, dict[str, Any]]]:
    db.expire_all()
    rows = [(e.action, e.actor, e.detail) for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    db.rollback()  # end the read: on SQLite the app could not write meanwhile
    return rows


def _error_next_to(html: str, field: str) -> str:
    """The error text under the field with that name (inputs are followed by their errors)."""
    match = re.search(
        rf'name="{field}".*?<p class="field-error" id="e-{field}">(.*?)</p>', html, flags=re.DOTALL
    )
    assert match, f"no error next to {field}"
    return re.sub(r"<[^>]+>", " ", match.group(1)).strip()


@pytest.mark.parametrize("username", ["clerk", "window_chief", "director", "auditor", "acme"])
def test_only_admins_reach_the_console(pages: Any, username: str) -> None:
    browser = pages(username)
    for path in PAGES:
        assert browser.get(path).status_code == 403, path
    assert browser.post("/admin/settings", {"sla_warning_ratio": "0.6"}, page="/login").status_code == 403


def test_visitors_are_sent_to_log_in(pages: Any) -> None:
    response = pages().get("/admin/users")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_every_console_page_opens_in_both_languages(pages: Any) -> None:
    for language, word in (("en", "Admin console"), ("zh_CN", "管理控制台")):
        browser = pages("admin", language=language)
        for path in PAGES[1:]:
            response = browser.get(path)
            assert response.status_code == 200, path
            assert word in response.get_data(as_text=True), (language, path)


def test_changes_without_the_form_token_are_refused(pages: Any, db: Any) -> None:
    browser = pages("admin")
    response = browser.client.post("/admin/settings", data={"sla_warning_ratio": "0.6"})
    assert response.status_code == 400
    assert db.scalar(select(RuntimeSetting)) is None


def test_create_a_staff_user_then_disable_enable_and_reset_the_password(pages: Any, db: Any) -> None:
    browser = pages("admin")
    response = browser.post(
        "/admin/users",
        {
            "username": "web_new_officer",
            "display_name": "新消防员",
            "password": "Initial-pass-42",
            "email": "new.officer@example.cn",
            "groups": ["fire", "bureau"],
            "supervises": ["fire"],
            "roles": ["auditor"],
        },
        page="/admin/users",
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/admin/users/web_new_officer"
    )
    db.expire_all()
    user = user_named(db, "web_new_officer")
    assert user.is_staff and user.roles == ["auditor"]
    assert sorted((m.group.slug, m.is_supervisor) for m in user.memberships) == [
        ("bureau", False),
        ("fire", True),
    ]
    db.rollback()
    assert pages().login("web_new_officer", "Initial-pass-42").status_code == 302

    assert browser.post("/admin/users/web_new_officer/active", {"active": "0"}).status_code == 302
    refused = pages().login("web_new_officer", "Initial-pass-42")
    assert refused.status_code == 401

    browser.post("/admin/users/web_new_officer/active", {"active": "1"})
    browser.post("/admin/users/web_new_officer/password", {"password": NEW_PASSWORD})
    assert pages().login("web_new_officer", "Initial-pass-42").status_code == 401
    assert pages().login("web_new_officer", NEW_PASSWORD).status_code == 302

    browser.post("/admin/users/web_new_officer/roles", {"roles": ["analyst"]})
    db.expire_all()
    assert user_named(db, "web_new_officer").roles == ["analyst"]
    db.rollback()

    trail = [(a, who, d) for a, who, d in _actions(db) if a.startswith("user.")]
    assert [a for a, _, _ in trail] == [
        "user.created",
        "user.disabled",
        "user.enabled",
        "user.password_reset",
        "user.roles_changed",
    ]
    assert all(who == "admin" and d["user"] == "web_new_officer" for _, who, d in trail)
    assert trail[4][2]["before"] == ["auditor"] and trail[4][2]["after"] == ["analyst"]
    assert NEW_PASSWORD not in str(trail) and "argon2" not in str(trail)


def test_a_disabled_user_is_logged_out_of_an_open_session(pages: Any, db: Any) -> None:
    browser = pages("admin")
    browser.post(
        "/admin/users",
        {"username": "web_session_user", "display_name": "会话用户", "password": "Initial-pass-42"},
        page="/admin/users",
    )
    session_of_user = pages()
    session_of_user.login("web_session_user", "Initial-pass-42")
    assert session_of_user.get("/inbox").status_code == 200
    browser.post("/admin/users/web_session_user/active", {"active": "0"})
    assert session_of_user.get("/inbox").status_code == 302


def test_a_refused_new_user_shows_each_error_next_to_its_field(pages: Any, db: Any) -> None:
    before = _actions(db)
    response = pages("admin").post(
        "/admin/users",
        {"username": "clerk", "display_name": "", "password": "short", "email": "not-an-address"},
        page="/admin/users",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "already taken" in _error_next_to(html, "username")
    assert "required" in _error_next_to(html, "display_name")
    assert "at least 10 characters" in _error_next_to(html, "password")
    assert "e-mail" in _error_next_to(html, "email")
    assert 'value="not-an-address"' in html  # what was typed stays
    assert _actions(db) == before
    chinese = pages("admin", language="zh_CN").post(
        "/admin/users", {"username": "a b", "display_name": "x", "password": "x"}, page="/admin/users"
    )
    assert chinese.status_code == 422
    assert "字母" in _error_next_to(chinese.get_data(as_text=True), "username")


def test_admins_cannot_disable_themselves_from_the_page(pages: Any, db: Any) -> None:
    response = pages("admin").post("/admin/users/admin/active", {"active": "0"})
    assert response.status_code == 422
    assert "your own account" in response.get_data(as_text=True)
    assert user_named(db, "admin").is_active
    db.rollback()


def test_an_account_page_acts_on_that_account(pages: Any) -> None:
    html = pages("admin").get("/admin/users/fire_chief").get_data(as_text=True)
    assert "周科长（消防）" in html and "系统管理员</h2>" not in html
    for action in ("active", "password", "roles"):
        assert f'action="/admin/users/fire_chief/{action}"' in html
    assert 'action="/admin/users/admin/' not in html


def test_unknown_accounts_and_groups_are_404(pages: Any) -> None:
    browser = pages("admin")
    assert browser.get("/admin/users/nobody_here").status_code == 404
    assert browser.get("/admin/groups/nothing").status_code == 404
    assert browser.post("/admin/users/nobody_here/password", {"password": NEW_PASSWORD}).status_code == 404
    assert browser.post("/admin/calendar/2031-02-30/remove").status_code == 404


def test_groups_members_supervisors_and_escalation(pages: Any, db: Any) -> None:
    browser = pages("admin")
    created = browser.post(
        "/admin/groups",
        {
            "slug": "web_quality",
            "name": "质量安全科",
            "name_en": "Quality and safety",
            "escalates_to": "bureau",
        },
        page="/admin/groups",
    )
    assert created.status_code == 302
    assert browser.post("/admin/groups/web_quality/members", {"username": "inspector"}).status_code == 302
    assert (
        browser.post(
            "/admin/groups/web_quality/members/inspector/supervisor", {"supervisor": "1"}
        ).status_code
        == 302
    )
    page = browser.get("/admin/groups/web_quality").get_data(as_text=True)
    assert "inspector" in page and "Unset supervisor" in page
    browser.post("/admin/groups/web_quality/members/inspector/supervisor", {"supervisor": "0"})
    browser.post(
        "/admin/groups/web_quality",
        {"name": "质量安全科", "name_en": "Quality", "escalates_to": "inspection"},
    )
    bad = browser.post("/admin/groups/web_quality/members", {"username": "acme"})
    assert bad.status_code == 422 and "no staff user" in _error_next_to(
        bad.get_data(as_text=True), "username"
    )
    bad_group = browser.post(
        "/admin/groups", {"slug": "Bad Slug", "name": "", "name_en": "x"}, page="/admin/groups"
    )
    assert bad_group.status_code == 422
    assert "lower-case" in _error_next_to(bad_group.get_data(as_text=True), "slug")
    browser.post("/admin/groups/web_quality/members/inspector/remove")
    inspector = user_named(db, "inspector")
    assert [m.group.slug for m in inspector.memberships] == ["inspection"]
    db.rollback()
    actions = [(a, d.get("before"), d.get("after")) for a, _, d in _actions(db) if a.startswith("group.")]
    assert actions == [
        (
            "group.created",
            None,
            {"name": "质量安全科", "name_en": "Quality and safety", "escalates_to": "bureau"},
        ),
        ("group.member_added", None, {"supervisor": False}),
        ("group.supervisor_set", {"supervisor": False}, {"supervisor": True}),
        ("group.supervisor_unset", {"supervisor": True}, {"supervisor": False}),
        (
            "group.changed",
            {"name": "质量安全科", "name_en": "Quality and safety", "escalates_to": "bureau"},
            {"name": "质量安全科", "name_en": "Quality", "escalates_to": "inspection"},
        ),
        ("group.member_removed", {"supervisor": False}, None),
    ]


def test_calendar_days_for_next_year(pages: Any, db: Any) -> None:
    browser = pages("admin")
    saved = browser.post(
        "/admin/calendar", {"day": "2031-01-01", "kind": "holiday", "note": "元旦"}, page="/admin/calendar"
    )
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/admin/calendar?year=2031")
    browser.post(
        "/admin/calendar",
        {"day": "2031-01-04", "kind": "workday", "note": "元旦调休上班"},
        page="/admin/calendar",
    )
    listing = browser.get("/admin/calendar?year=2031").get_data(as_text=True)
    assert '<td class="mono">2031-01-01' in listing and "元旦调休上班" in listing and "working day" in listing
    refused = browser.post(
        "/admin/calendar", {"day": "31/01/2031", "kind": "holiday", "note": ""}, page="/admin/calendar"
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "YYYY-MM-DD" in _error_next_to(html, "day") and "required" in _error_next_to(html, "note")
    assert browser.post("/admin/calendar/2031-01-01/remove").status_code == 302
    assert '<td class="mono">2031-01-01' not in browser.get("/admin/calendar?year=2031").get_data(
        as_text=True
    )
    actions = [(a, d["day"]) for a, who, d in _actions(db) if a.startswith("calendar.") and who == "admin"]
    assert actions == [
        ("calendar.override", "2031-01-01"),
        ("calendar.override", "2031-01-04"),
        ("calendar.override_removed", "2031-01-01"),
    ]


def test_settings_are_validated_saved_audited_and_reset(pages: Any, db: Any) -> None:
    browser = pages("admin")
    refused = browser.post(
        "/admin/settings",
        {"sla_warning_ratio": "1.5", "escalation_working_days": "x"},
        page="/admin/settings",
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Allowed: 0.5 to 0.95" in _error_next_to(html, "sla_warning_ratio")
    assert "Enter a number" in _error_next_to(html, "escalation_working_days")
    assert db.scalar(select(RuntimeSetting)) is None
    db.rollback()
    saved = browser.post(
        "/admin/settings",
        {"sla_warning_ratio": "0.7", "escalation_working_days": "2"},
        page="/admin/settings",
    )
    assert saved.status_code == 302
    assert 'value="0.7"' in browser.get("/admin/settings").get_data(as_text=True)
    browser.post("/admin/settings/sla_warning_ratio/reset", page="/admin/settings")
    assert 'value="0.8"' in browser.get("/admin/settings").get_data(as_text=True)
    changes = [(d["key"], d["before"], d["after"]) for a, _, d in _actions(db) if a == "setting.changed"]
    assert changes == [("sla_warning_ratio", 0.8, 0.7), ("sla_warning_ratio", 0.7, 0.8)]
    assert browser.post("/admin/settings/workday_end/reset", page="/admin/settings").status_code == 404


def test_the_console_is_linked_for_admins_only(pages: Any) -> None:
    assert "/admin" in pages("admin").get("/inbox").get_data(as_text=True)
    assert 'href="/admin' not in pages("clerk").get("/inbox").get_data(as_text=True)


def test_search_finds_users_by_name_and_kind(pages: Any) -> None:
    browser = pages("admin")
    staff = browser.get("/admin/users?q=chief").get_data(as_text=True)
    assert "window_chief" in staff and ">clerk<" not in staff
    applicants = browser.get("/admin/users?kind=applicant").get_data(as_text=True)
    assert ">acme<" in applicants and ">clerk<" not in applicants
