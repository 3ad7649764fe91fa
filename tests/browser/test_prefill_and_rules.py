"""The applicant's form in a real browser: acme finds the permit's service guide on the public home
page, starts, finds the builder's fields filled from the account and locked, is told at the field
that the planned completion comes before the start, fixes it and submits. Desktop in Chinese and a
phone in English (the two other combinations add nothing the layout or the catalogue would not)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.filling import fill_form
from tests.conftest import PASSWORD
from tests.web.test_apply import REQUIRED, _form

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
WORDS = {
    "zh_CN": {
        "login": "登录",
        "check": "检查是否齐全",
        "submit": "提交申请",
        "rule": "计划竣工日期不得早于计划开工日期",
        "locked": "已按您已核验的账户信息填写并锁定",
    },
    "en": {
        "login": "Log in",
        "check": "Check completeness",
        "submit": "Submit application",
        "rule": "The planned completion date must not be before the planned start date",
        "locked": "Filled in from your verified account and locked",
    },
}


@pytest.mark.parametrize(("language", "viewport"), [("zh_CN", (1366, 900)), ("en", (390, 844))])
def test_acme_starts_from_the_guide_with_the_builder_locked_and_a_rule_at_its_field(
    live_server: Any, browser: Any, tmp_path: Path, language: str, viewport: tuple[int, int]
) -> None:
    words = WORDS[language]
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    context.add_cookies([{"name": "lang", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    url = live_server.url
    document = tmp_path / "doc.pdf"
    document.write_bytes(PDF)
    try:
        page.goto(url + "/")
        browser.axe(page)
        page.locator("#guide-construction_permit h3 a").click()
        expect(page).to_have_url(url + "/guide/construction_permit")
        browser.axe(page)
        page.locator("#guide-start").click()
        page.locator("#username").fill("acme")
        page.locator("#password").fill(PASSWORD)
        page.get_by_role("button", name=words["login"], exact=True).click()
        page.locator('form[action="/apply/construction_permit"] button').click()
        expect(page).to_have_url(re.compile(r"/apply/drafts/[0-9a-f]{32}$"))

        # The builder comes from the account: filled, read-only, and the page says why.
        name, code = page.locator("#f-builder-name"), page.locator("#f-builder-credit_code")
        expect(name).to_have_value("北湖城市建设投资有限公司")
        expect(code).to_have_value("91350100M000100Y43")
        for locked in (name, code):
            expect(locked).to_have_attribute("readonly", "")
            expect(locked).not_to_be_editable()
        expect(page.locator("#f-builder-credit_code-prefill")).to_contain_text(words["locked"])
        expect(page.locator("#f-builder-contact_phone")).to_have_value("13812345678")
        expect(page.locator("#f-builder-contact_phone")).to_be_editable()
        browser.axe(page)

        # A refused upload: the reason takes the progress bar's place, the slot says what it said.
        (tmp_path / "notes.pdf").write_bytes(b"just some text, not a PDF at all")
        page.locator("#file-safety_plan").set_input_files(str(tmp_path / "notes.pdf"))
        slot = page.locator("#doc-safety_plan")
        expect(slot.locator("[data-role=error]")).to_be_visible()
        expect(slot.locator("[data-role=error]")).to_contain_text("PDF")
        expect(slot.locator("progress")).to_be_hidden()
        expect(slot.locator("[data-role=state]")).not_to_contain_text("%")
        expect(slot.locator("[data-role=state] .sla-warning")).to_be_visible()  # still missing
        expect(page.locator("#file-safety_plan")).to_have_attribute("aria-invalid", "true")

        form = _form("鼓山物流园二期")
        fill_form(page, {**form, "planned_start": "2027-06-01", "planned_finish": "2027-05-01"})
        for kind in REQUIRED:
            page.locator(f"#file-{kind}").set_input_files(str(document))
            expect(page.locator(f"#doc-{kind} .sla-on_time")).to_be_visible()
        page.get_by_role("button", name=words["check"]).click()
        expect(page.locator("#f-planned_finish-error")).to_have_text(words["rule"])
        expect(page.locator("#f-planned_finish")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#form-errors li")).to_have_count(1)
        browser.axe(page)

        page.locator("#f-planned_finish").fill("2028-12-31")
        page.get_by_role("button", name=words["submit"]).click()
        expect(page).to_have_url(re.compile(r"/track/CP\d+$"))
        expect(page.get_by_role("status")).to_contain_text("CP")
        # Their own case: their own credit code in clear.
        expect(page.locator(".mono", has_text="91350100M000100Y43").first).to_be_visible()
        browser.axe(page)
    finally:
        context.close()
