"""Service guides and the public home page: generated from the deployed processes, so that an
analyst's deploy changes what applicants read."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from app.services import processes

ROOT = Path(__file__).resolve().parents[2]


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def test_the_home_page_needs_no_account_and_lists_the_services(pages: Any) -> None:
    html = _text(pages(language="zh_CN").get("/"))
    assert "施工许可" in html and "投诉举报" in html or "投诉" in html
    assert 'href="/guide/construction_permit"' in html
    assert 'href="/guide/complaint_handling"' in html
    # Staff-started processes are no service of the public.
    assert "/guide/rectification_order" not in html
    # Lookup, verification, complaint filing, help with the hotline.
    assert 'action="/track"' in html and 'action="/verify"' in html
    assert 'href="/complaints/new"' in html and 'href="tel:12345"' in html


def test_logged_in_users_go_on_to_their_own_start_page(pages: Any) -> None:
    assert pages("acme").get("/").headers["Location"] == "/my/cases"
    assert pages("clerk").get("/").headers["Location"] == "/inbox"


def test_the_permit_guide_lists_materials_steps_limits_fees_and_basis(pages: Any) -> None:
    html = _text(pages(language="en").get("/guide/construction_permit"))
    assert "Construction permit" in html
    # The start form's attachments, required and optional.
    materials = re.search(r'<table class="tasks guide-materials">(.*?)</table>', html, re.S)
    assert materials
    assert re.search(r'data-kind="planning_permit">.*?Required', materials.group(1), re.S)
    assert re.search(r'data-kind="fund_certificate">.*?If applicable', materials.group(1), re.S)
    # Each step with the agency of its lane and its limit in working days.
    assert re.search(r'data-step="Task_Acceptance">.*?Acceptance window.*?1 working day<', html, re.S)
    assert re.search(r'data-step="Task_FireReview">.*?Fire safety review.*?5 working days<', html, re.S)
    # In the order a case goes: acceptance, the agencies' reviews, the decision.
    assert html.index('data-step="Task_Acceptance"') < html.index('data-step="Task_FireReview"')
    assert html.index('data-step="Task_FireReview"') < html.index('data-step="Task_Decision"')
    assert '<dd id="guide-limit">7 working days' in html
    assert "Free of charge." in html and "Construction Law of the PRC" in html
    assert 'href="/apply/construction_permit"' in html


def test_the_guide_speaks_chinese_and_hides_the_process_internals(pages: Any) -> None:
    html = _text(pages(language="zh_CN").get("/guide/construction_permit"))
    assert "办事指南" in html and "申请材料" in html or "材料" in html
    assert "个工作日" in html and "《中华人民共和国建筑法》" in html
    data = re.search(r'<script type="application/json" id="diagram-data">(.*?)</script>', html, re.S)
    assert data and "bpmn:task" in data.group(1).lower() or "usertask" in data.group(1).lower()
    # Scripts, conditions and properties are not published.
    assert "scriptTask" in data.group(1) and "bpmn:script>" not in data.group(1)
    assert "conditionExpression" not in data.group(1) and "spiffworkflow:property" not in data.group(1)


def test_a_complaint_guide_starts_the_complaint_form_and_unknown_ones_are_404(pages: Any) -> None:
    browser = pages(language="en")
    html = _text(browser.get("/guide/complaint_handling"))
    assert 'href="/complaints/new?process=complaint_handling"' in html
    assert "Anyone" in html or "anonymous" in html
    assert browser.get("/guide/no_such_process").status_code == 404
    # A process only called by another has no guide of its own.
    assert browser.get("/guide/parallel_review").status_code == 404


def test_the_verify_form_leads_to_the_certificate_page(pages: Any) -> None:
    browser = pages(language="en")
    assert browser.get("/verify?number=ABC-1").headers["Location"] == "/verify/ABC-1"
    assert browser.get("/verify").headers["Location"].endswith("/#verify")


def test_a_deployed_time_limit_shows_on_the_guide(app: Any, db: Any, pages: Any, tmp_path: Path) -> None:
    original = ROOT / "processes" / "construction_permit.bpmn"
    text = original.read_text(encoding="utf-8")
    acceptance = re.search(r'<bpmn:userTask id="Task_Acceptance".*?</bpmn:userTask>', text, re.S)
    assert acceptance and 'name="time_limit" value="1wd"' in acceptance.group(0)
    changed = acceptance.group(0).replace('name="time_limit" value="1wd"', 'name="time_limit" value="3wd"')
    edited = text.replace(acceptance.group(0), changed)
    (tmp_path / "construction_permit.bpmn").write_text(edited, encoding="utf-8")
    for name in ("parallel_review.bpmn", "review_agencies.dmn"):
        shutil.copy(ROOT / "processes" / name, tmp_path)
    try:
        with app.app_context():
            paths = [tmp_path / "construction_permit.bpmn", tmp_path / "parallel_review.bpmn"]
            processes.deploy_processes(db, None, paths)
            db.commit()
        html = _text(pages(language="en").get("/guide/construction_permit"))
        assert re.search(r'data-step="Task_Acceptance">.*?3 working days<', html, re.S)
    finally:
        with app.app_context():
            processes.deploy_processes(db, None, [original, ROOT / "processes" / "parallel_review.bpmn"])
            db.commit()
    html = _text(pages(language="en").get("/guide/construction_permit"))
    assert re.search(r'data-step="Task_Acceptance">.*?1 working day<', html, re.S)
