"""Security review (session 8), finding 4: the inbox API (`GET /api/v1/tasks`) gives a co-signature's
round progress (会签 / 或签) as the inbox page and the task page do; other tasks have `signing: null`."""

from __future__ import annotations

from typing import Any

from tests.helpers import submit_permit
from tests.services.test_co_signing import AGREE, _large_permit, sign, signers
from tests.services.test_procedures import at


def _item(api: Any, user: str, number: str) -> dict[str, Any]:
    body = api.get(f"/api/v1/tasks?scope=group&q={number}", user).get_json()
    [item] = body["items"]
    return dict(item)


def test_the_task_list_gives_a_co_signatures_round_progress(db: Any, api: Any) -> None:
    case = _large_permit(db, "会签接口项目")
    number = case.number
    before = _item(api, "deputy", number)["signing"]
    assert (before["rule"], before["signed"], before["total"], before["finished"]) == ("all", 0, 2, False)
    sign(db, case, "construction", "construction_chief", AGREE, at(18, 9))
    deputy_task = signers(db, case)["bureau"]
    db.rollback()
    item = _item(api, "deputy", number)
    assert item["id"] == deputy_task.id and item["name_en"]
    signing = item["signing"]
    assert (signing["signed"], signing["total"], signing["finished"]) == (1, 2, False)
    by_group = {s["group"]: s for s in signing["signers"]}
    assert (
        by_group["construction"]["state"] == "completed" and by_group["construction"]["decision"] == "approve"
    )
    assert by_group["construction"]["user"] == "construction_chief"
    assert by_group["bureau"]["state"] == "open" and by_group["bureau"]["decision"] is None
    # The task itself says the same.
    detail = api.get(f"/api/v1/tasks/{deputy_task.id}", "deputy").get_json()
    assert detail["task"]["signing"]["signed"] == 1


def test_a_task_outside_a_signing_round_has_no_signing(api: Any) -> None:
    number = submit_permit(api, "普通任务项目")["number"]
    assert _item(api, "clerk", number)["signing"] is None
