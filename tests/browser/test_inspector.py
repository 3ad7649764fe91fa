"""An inspector issues a rectification order in a real browser: "新建整改通知" in the inbox, three
findings of different hazard levels in row groups, one photo each; the deadline is the worst
finding's; the contractor (buildco) sees the order waiting on "My cases"."""

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
FINDINGS = [("脚手架连墙件缺失", "一般隐患"), ("基坑支护变形超限", "重大隐患"), ("临边防护缺失", "较大隐患")]


def _login(page: Any, url: str, username: str) -> None:
    page.goto(url + "/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("button[type=submit].btn-primary").click()


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_inspector_issues_an_order_with_three_findings(
    live_server: Any, browser: Any, db: Any, tmp_path: Path, size: tuple[int, int]
) -> None:
    photos = []
    for i in range(3):
        photos.append(tmp_path / f"现场{i}.png")
        photos[-1].write_bytes(PNG)
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        _login(page, live_server.url, "inspector")
        page.get_by_role("link", name="新建整改通知").click()
        expect(page.get_by_role("heading", name="新建：整改通知")).to_be_visible()
        page.get_by_label("项目名称").fill("滨江花园二期")
        page.get_by_label("单位名称").fill("华建第一工程有限公司")
        page.get_by_label("统一社会信用代码").fill("91110108MA01ABCD1E")
        page.get_by_label("法律依据").fill("《建设工程安全生产管理条例》第二十八条")
        add = page.get_by_role("button", name="添加问题")
        add.click()
        add.click()
        rows = page.locator("[data-rows=findings] [data-role=row]")
        expect(rows).to_have_count(3)
        for i, (text, level) in enumerate(FINDINGS):
            row = rows.nth(i)
            row.get_by_label("问题描述").fill(text)
            row.get_by_label(level).check()
            row.locator("input[type=file]").set_input_files(str(photos[i]))
        # A row can be removed again (and the count follows).
        add.click()
        expect(rows).to_have_count(4)
        rows.nth(3).get_by_role("button", name=re.compile("删除问题")).click()
        expect(rows).to_have_count(3)
        page.get_by_role("button", name="发起", exact=True).click()
        expect(page.locator(".notice-success")).to_contain_text("已发起")
        number = re.search(r"/track/([A-Z0-9-]+)", page.url).group(1)

        db.expire_all()
        case = db.scalar(select(Case).where(Case.number == number))
        assert [f["hazard_level"] for f in case.data["findings"]] == ["general", "major", "serious"]
        assert case.data["deadline_days"] == case.data["rectification_days"]["major"] == 10
        names = db.scalars(select(Attachment.filename).where(Attachment.case_id == case.id)).all()
        db.rollback()
        assert sorted(names) == ["现场0.png", "现场1.png", "现场2.png"]

        page.goto(live_server.url + "/inbox")
        expect(page.locator(".started-cases")).to_contain_text(number)

        contractor = context.browser.new_context(
            viewport={"width": size[0], "height": size[1]}, locale="zh-CN"
        )
        other = contractor.new_page()
        _login(other, live_server.url, "buildco")
        other.goto(live_server.url + "/my/cases")
        expect(other.locator(".to-do")).to_contain_text(number)
        contractor.close()
    finally:
        context.close()
