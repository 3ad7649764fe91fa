"""An inspector issues a rectification order in a real browser, in Chinese and in English, on a
desktop and a phone: "新建整改通知" in the inbox, three findings of different hazard levels in row
groups, one photo each; the deadline is the worst finding's; the contractor (buildco) sees the
order, reports each finding with a photo; the inspector fails one finding at the check; the second
round asks the contractor for that one only (and its deadline is that finding's)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.models import Attachment, Case
from tests.conftest import PASSWORD

PNG = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + b"\0" * 40
SHOTS = "/tmp/h16-shots"
LANG_COOKIE = {"zh-CN": "zh_CN", "en-US": "en"}
DESCRIPTIONS = ["脚手架连墙件缺失", "基坑支护变形超限", "临边防护缺失"]
TEXT = {
    "zh-CN": {
        "start": "新建整改通知",
        "heading": "新建：整改通知",
        "project": "项目名称",
        "company": "单位名称",
        "credit": "统一社会信用代码",
        "basis": "法律依据",
        "add": "添加问题",
        "remove": "删除问题",
        "description": "问题描述",
        "levels": ["一般隐患", "重大隐患", "较大隐患"],
        "submit": "发起",
        "started": "已发起",
        "measures": "整改措施",
        "answered": "谢谢",
        "verify": "整改复查",
        "failed": "整改不合格",
        "still_open": "仍未整改的问题序号",
    },
    "en-US": {
        "start": "New rectification order",
        "heading": "New: Rectification order",
        "project": "Project name",
        "company": "Company name",
        "credit": "Unified social credit code",
        "basis": "Legal basis",
        "add": "Add finding",
        "remove": "Remove finding",
        "description": "Description",
        "levels": ["General hazard", "Major hazard", "Serious hazard"],
        "submit": "Start",
        "started": "started",
        "measures": "Measures taken",
        "answered": "Thank you",
        "verify": "Verify the rectification",
        "failed": "Failed",
        "still_open": "Findings still open",
    },
}


def _login(page: Any, url: str, username: str) -> None:
    page.goto(url + "/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("button[type=submit].btn-primary").click()


def _start_order(page: Any, t: dict[str, Any], photos: list[Path]) -> str:
    """The inspector fills the start form: three findings, one photo each (and a fourth row
    added and removed again). Returns the new case's number."""
    page.get_by_role("link", name=t["start"]).click()
    expect(page.get_by_role("heading", name=t["heading"])).to_be_visible()
    page.get_by_label(t["project"]).fill("滨江花园二期")
    page.get_by_label(t["company"]).fill("华建第一工程有限公司")
    page.get_by_label(t["credit"]).fill("91110108MA01ABCD1E")
    page.get_by_label(t["basis"]).fill("《建设工程安全生产管理条例》第二十八条")
    add = page.get_by_role("button", name=t["add"])
    add.click()
    add.click()
    rows = page.locator("[data-rows=findings] [data-role=row]")
    expect(rows).to_have_count(3)
    for i, (text, level) in enumerate(zip(DESCRIPTIONS, t["levels"], strict=True)):
        row = rows.nth(i)
        row.get_by_label(t["description"]).fill(text)
        row.get_by_label(level).check()
        row.locator("input[type=file]").set_input_files(str(photos[i]))
    add.click()
    expect(rows).to_have_count(4)
    rows.nth(3).get_by_role("button", name=re.compile(t["remove"])).click()
    expect(rows).to_have_count(3)
    page.get_by_role("button", name=t["submit"], exact=True).click()
    expect(page.locator(".notice-success")).to_contain_text(t["started"])
    match = re.search(r"/track/([A-Z0-9-]+)", page.url)
    assert match is not None
    return match.group(1)


def _report(
    page: Any, url: str, number: str, t: dict[str, Any], photos: list[Path], expected: list[int]
) -> None:
    """The contractor answers the order: one prefilled row per open finding, measures and a photo."""
    page.goto(url + "/my/cases")
    page.locator(".to-do li", has_text=number).get_by_role("link").first.click()
    rows = page.locator("[data-rows=entries] [data-role=row]")
    expect(rows).to_have_count(len(expected))
    for n, index in enumerate(expected):
        row = rows.nth(n)
        expect(row.locator("input[type=number]")).to_have_value(str(index))
        row.get_by_label(t["measures"]).fill(f"已整改：{DESCRIPTIONS[index]}")
        row.locator("input[type=file]").set_input_files(str(photos[index]))
    page.locator("form button[type=submit].btn-block").click()
    expect(page.locator(".notice-success")).to_contain_text(number)


def _fail_one(page: Any, url: str, number: str, t: dict[str, Any], index: int) -> None:
    """The inspector checks the site: one finding is still open."""
    page.goto(f"{url}/inbox?q={number}")
    page.locator("tbody tr", has_text=number).get_by_role("link").first.click()
    expect(page.get_by_role("heading", name=t["verify"]).first).to_be_visible()
    page.get_by_label(t["failed"], exact=True).check()
    page.get_by_label(t["still_open"]).fill(str(index))
    page.locator("form button[type=submit].btn-block").click()
    expect(page.locator(".notice-success")).to_contain_text(number)


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_inspector_issues_an_order_with_three_findings(
    live_server: Any, browser: Any, db: Any, tmp_path: Path, size: tuple[int, int], locale: str
) -> None:
    t = TEXT[locale]
    photos = []
    for i in range(3):
        photos.append(tmp_path / f"现场{i}.png")
        photos[-1].write_bytes(PNG)
    viewport = {"width": size[0], "height": size[1]}
    context = browser.new_context(viewport=viewport, locale=locale)
    contractor = browser.new_context(viewport=viewport, locale=locale)
    for each in (context, contractor):  # the language the visitor chose (the switch's cookie)
        each.add_cookies([{"name": "lang", "value": LANG_COOKIE[locale], "url": live_server.url}])
    page, other = context.new_page(), contractor.new_page()
    page.set_default_timeout(15_000)
    other.set_default_timeout(15_000)
    try:
        _login(page, live_server.url, "inspector")
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN" if locale == "zh-CN" else "en")
        number = _start_order(page, t, photos)
        browser.axe(page)

        db.expire_all()
        case = db.scalar(select(Case).where(Case.number == number))
        assert [f["hazard_level"] for f in case.data["findings"]] == ["general", "major", "serious"]
        assert case.data["deadline_days"] == case.data["rectification_days"]["major"] == 10
        names = db.scalars(select(Attachment.filename).where(Attachment.case_id == case.id)).all()
        db.rollback()
        assert sorted(names) == ["现场0.png", "现场1.png", "现场2.png"]

        page.goto(live_server.url + "/inbox")
        expect(page.locator(".started-cases")).to_contain_text(number)

        _login(other, live_server.url, "buildco")
        _report(other, live_server.url, number, t, photos, [0, 1, 2])
        browser.axe(other)

        # Finding 0 (a general hazard) is still open: the second round asks for it alone, with
        # its own (shorter) deadline.
        _fail_one(page, live_server.url, number, t, 0)
        db.expire_all()
        case = db.scalar(select(Case).where(Case.number == number))
        assert case.data["open_findings"] == [0]
        assert case.data["deadline_days"] == case.data["rectification_days"]["general"] == 3
        report = case.data["rectification_report"]["entries"]
        photo_ids = {a.uid for a in db.scalars(select(Attachment).where(Attachment.case_id == case.id))}
        db.rollback()
        assert [e["finding_index"] for e in report] == [0, 1, 2]
        assert all(e["photo"] in photo_ids for e in report)  # each photo stored as the case's file

        other.goto(f"{live_server.url}/my/cases")
        other.locator(".to-do li", has_text=number).get_by_role("link").first.click()
        rows = other.locator("[data-rows=entries] [data-role=row]")
        expect(rows).to_have_count(1)
        expect(rows.first.locator("input[type=number]")).to_have_value("0")
        expect(other.locator(".task-head")).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2}"))
        other.screenshot(path=f"{SHOTS}/second-round-{locale}-{size[0]}.png", full_page=True)
        browser.axe(other)
    finally:
        contractor.close()
        context.close()
