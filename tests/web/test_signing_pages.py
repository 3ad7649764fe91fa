"""会签 on the pages: the inbox row and the task page show the group's progress and each signer,
in both languages."""

from __future__ import annotations

import re
from typing import Any

from tests.services.test_co_signing import AGREE, _large_permit, sign, signers
from tests.services.test_procedures import at


def _panel(html: str) -> str:
    found = re.search(r'<section class="card signing-round".*?</section>', html, re.S)
    assert found is not None, "no signing panel"
    return found.group(0)


def test_the_task_page_and_the_inbox_show_the_signing_progress(db: Any, pages: Any) -> None:
    case = _large_permit(db, "会签页面项目")
    sign(db, case, "construction", "construction_chief", AGREE, at(18, 9))
    deputy_task = signers(db, case)["bureau"]
    db.commit()  # the pages write (the login) through their own connection
    english = pages("deputy", "en")
    panel = _panel(english.get(f"/tasks/{deputy_task.id}").get_data(as_text=True))
    assert "1 of 2 signed" in panel and "Section chief" in panel and "Deputy director" in panel
    assert "Signed" in panel and "卫科长（审批）" in panel and "Waiting for the signature" in panel
    assert "joint-review" not in english.get(f"/tasks/{deputy_task.id}").get_data(as_text=True)
    inbox = english.get("/inbox?scope=group").get_data(as_text=True)
    row = inbox[inbox.index("会签页面项目") - 1500 : inbox.index("会签页面项目")]
    assert "1 of 2 signed" in row
    chinese = pages("deputy", "zh-CN")
    panel = _panel(chinese.get(f"/tasks/{deputy_task.id}").get_data(as_text=True))
    assert "已签 1 / 共 2 人" in panel and "审批科科长" in panel and "分管副局长" in panel


def test_a_heads_only_signature_is_listed_to_the_head_not_to_the_groups_members(db: Any, pages: Any) -> None:
    """The chief's co-signature is in the construction group, but only its head may complete it:
    the permit officer's group tab does not offer a task that would answer 403."""
    case = _large_permit(db, "会签收件箱项目")
    assert signers(db, case)["construction"].context.get("supervisors_only")
    db.commit()
    officer = pages("permit_officer", "en")
    assert "会签收件箱项目" not in officer.get("/inbox?scope=group").get_data(as_text=True)
    chief = pages("construction_chief", "en")
    assert "会签收件箱项目" in chief.get("/inbox?scope=group").get_data(as_text=True)
