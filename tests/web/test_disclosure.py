"""信息公开 and the project page: a granted permit is published once the delay after its decision has
passed, a withheld one is not (only supervisors, leaders and admins withhold, with a reason, once,
audited); the project page lists every case of a project code for staff and only what is published
for everyone else; and no public page shows an unmasked credit code or phone number."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app import clock
from app.models import AuditEvent, Case
from app.services.credit_code import is_valid_credit_code
from tests.api.test_certificates import approved_permit
from tests.helpers import submit_permit

CODE = "2026-350100-47-01-123456"  # the test permits' project code (tests/helpers.py)


def _html(response: Any) -> str:
    return str(response.get_data(as_text=True))


def _published(pages: Any, q: str = "") -> str:
    return _html(pages(None).get(f"/disclosure?q={q}"))


def test_a_granted_permit_is_published_after_the_delay_unless_withheld(
    app: Any, db: Any, api: Any, pages: Any
) -> None:
    number = approved_permit(api, "公开测试项目")
    assert number not in _published(pages)  # decided just now: not yet
    later = clock.now() + timedelta(hours=25)
    with clock.travel_to(later):
        html = _published(pages, "公开测试")
        assert number in html and "北湖城市建设投资有限公司" in html
        assert "91350100M000100Y43" not in html and "91350100M000******" in html
        # A reviewer may not withhold it, nor the head of an agency that never handled it (review
        # finding 4); the window's chief, whose group accepted it, may, with a reason, once.
        reviewer = pages("planner")
        refused = reviewer.post(f"/disclosure/{number}/withhold", {"reason": "x"}, page="/disclosure")
        assert refused.status_code == 403
        stranger = pages("inspection_chief")
        assert f"reason-{number}" not in _html(stranger.get("/disclosure"))
        foreign = stranger.post(f"/disclosure/{number}/withhold", {"reason": "x"}, page="/disclosure")
        assert foreign.status_code == 403 and number in _published(pages)
        assert f"reason-{number}" in _html(pages("window_chief").get("/disclosure"))
        chief = pages("window_chief")
        empty = chief.post(f"/disclosure/{number}/withhold", {"reason": " "}, page="/disclosure")
        assert empty.status_code == 302 and number in _published(pages)  # no reason: nothing changed
        done = chief.post(f"/disclosure/{number}/withhold", {"reason": "涉及国家安全"}, page="/disclosure")
        assert done.status_code == 302
        assert number not in _published(pages)
        chief.post(f"/disclosure/{number}/withhold", {"reason": "再次"}, page="/disclosure")
        assert f"{number} is already withheld" in _html(chief.get("/disclosure"))
    case = db.scalar(select(Case).where(Case.number == number))
    assert case.withheld_reason == "涉及国家安全"
    events = db.scalars(
        select(AuditEvent.detail).where(
            AuditEvent.case_id == case.id, AuditEvent.action == "case.disclosure_withheld"
        )
    ).all()
    assert events == [{"reason": "涉及国家安全"}]
    db.rollback()


def test_a_running_case_is_neither_published_nor_withheld(app: Any, db: Any, api: Any, pages: Any) -> None:
    number = submit_permit(api, "在办项目")["number"]
    with clock.travel_to(clock.now() + timedelta(days=30)):
        assert number not in _published(pages)
        chief = pages("window_chief")
        chief.post(f"/disclosure/{number}/withhold", {"reason": "试试"}, page="/disclosure")
        assert "this one is still running" in _html(chief.get("/disclosure"))
    case = db.scalar(select(Case).where(Case.number == number))
    assert case.withheld_at is None
    db.rollback()


def test_the_project_page_lists_every_case_for_staff_and_the_published_part_for_others(
    app: Any, db: Any, api: Any, pages: Any
) -> None:
    granted = approved_permit(api, "项目页测试")
    running = submit_permit(api, "项目页测试二期")["number"]
    with clock.travel_to(clock.now() + timedelta(hours=25)):
        staff = _html(pages("window_chief").get(f"/projects/{CODE}"))
        assert f'id="case-{granted}"' in staff and f'id="case-{running}"' in staff
        public = _html(pages(None).get(f"/projects/{CODE}"))
        assert f'id="published-{granted}"' in public and running not in public
        # The case-access rule decides each listed case: the applicant sees its own running case,
        # another company only the published part.
        own = _html(pages("acme").get(f"/projects/{CODE}"))
        assert f'id="case-{running}"' in own and "Your cases of the project" in own
        other = _html(pages("buildco").get(f"/projects/{CODE}"))
        assert running not in other and f'id="published-{granted}"' in other
    assert pages(None).get("/projects/2099-000000-00-00-000000").status_code == 404


SERIAL = re.compile(r"(?<![0-9A-Z])[0-9A-HJ-NPQRTUWXY]{18}(?![0-9A-Z])")
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def test_no_public_page_shows_an_unmasked_credit_code_or_phone(
    app: Any, db: Any, api: Any, pages: Any
) -> None:
    number = approved_permit(api, "脱敏检查项目")
    paths = [
        "/",
        "/guides",
        "/disclosure",
        f"/projects/{CODE}",
        "/track",
        "/track/recover",
        "/complaints/new",
        "/notices",
        "/notices/feed.xml",
    ]
    paths += [f"/guide/{key}" for key in ("construction_permit", "complaint_handling")]
    with clock.travel_to(clock.now() + timedelta(hours=25)):
        for path in paths:
            response = pages(None).get(path)
            assert response.status_code == 200, path
            html = _html(response)
            codes = [c for c in SERIAL.findall(html) if is_valid_credit_code(c)]
            assert codes == [] and PHONE.findall(html) == [], (path, codes, PHONE.findall(html))
        assert number in _published(pages)  # the scan saw the published permit
