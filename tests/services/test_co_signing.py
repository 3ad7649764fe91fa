"""会签 / 或签 through the step path: the permit decision above the investment threshold is
co-signed by the section chief and a bureau leader; all-sign waits for every signer, a refusal
ends the round (一票否决) and sends the decision back; any-sign ends at the first signature and
cancels the others; the refusals (403, 409) change nothing stored."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app import clock
from app.errors import Conflict, Forbidden
from app.models import Case, CaseStatus, HumanTask, TaskState
from app.services import cases, processes, signing_view, tasks
from app.services.demo import permit_application
from tests.helpers import complete_at, open_task, user_named
from tests.services.test_procedures import MONDAY, _to_decision, actions, at, fresh, refused

GRANT = {"decision": "approve", "permit_valid_until": "2029-12-31"}
AGREE = {"decision": "approve", "opinion": "同意"}
ROOT = Path(__file__).resolve().parents[2] / "processes"


def _large_permit(db: Any, name: str = "大型综合体", total_investment: float = 12800.5) -> Case:
    """A permit (above the 5,000万 threshold by default) reviewed and granted by the officer."""
    with clock.travel_to(MONDAY):
        case = cases.start_case(
            db,
            user_named(db, "acme"),
            "construction_permit",
            permit_application(name, total_investment=total_investment),
        ).case
        db.commit()
    _to_decision(db, case)
    complete_at(db, case, "Task_Decision", "permit_officer", GRANT, at(17, 11))
    return case


def signers(db: Any, case: Case) -> dict[str, HumanTask]:
    """The open co-sign tasks of the case by candidate group."""
    db.expire_all()
    rows = db.scalars(
        select(HumanTask).where(
            HumanTask.case_id == case.id,
            HumanTask.bpmn_id == "Task_CoSign",
            HumanTask.state == TaskState.OPEN,
        )
    )
    return {t.candidate_group or "": t for t in rows}


def sign(db: Any, case: Case, group: str, username: str, data: dict[str, Any], when: Any) -> None:
    """Complete the open co-sign task of ``group`` as ``username`` with the clock at ``when``."""
    task = signers(db, case)[group]
    with clock.travel_to(when):
        tasks.complete_task(db, user_named(db, username), task.id, data)
        db.commit()


def test_a_small_permit_is_granted_without_co_signing(db: Any) -> None:
    case = _large_permit(db, "小项目", total_investment=4800)
    assert fresh(db, case).status == CaseStatus.APPROVED
    assert signers(db, case) == {}


def test_all_sign_waits_for_every_signer(db: Any) -> None:
    case = _large_permit(db)
    open_now = signers(db, case)
    assert sorted(open_now) == ["bureau", "construction"]
    chief_task = open_now["construction"]
    assert chief_task.context["signing"]["rule"] == "all" and chief_task.context["supervisors_only"]
    chief = user_named(db, "construction_chief")
    progress = signing_view.signing_progress(db, chief_task)
    assert progress is not None and (progress.signed, progress.total) == (0, 2)
    sign(db, case, "construction", "construction_chief", AGREE, at(18, 9))
    assert fresh(db, case).status != CaseStatus.APPROVED  # the deputy director has not signed yet
    deputy_task = signers(db, case)["bureau"]
    progress = signing_view.signing_progress(db, deputy_task)
    assert progress is not None and (progress.signed, progress.total) == (1, 2)
    assert [s.username for s in progress.signers if s.done] == [chief.username]
    sign(db, case, "bureau", "deputy", AGREE, at(18, 10))
    assert fresh(db, case).status == CaseStatus.APPROVED
    assert actions(db, case).count("task.completed") >= 2


def test_a_refusal_in_all_sign_ends_the_round_and_reopens_the_decision(db: Any) -> None:
    case = _large_permit(db)
    refuse = {"decision": "reject", "opinion": "资金证明与总投资不符"}
    sign(db, case, "bureau", "deputy", refuse, at(18, 9))
    db.expire_all()
    rows = db.scalars(
        select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.bpmn_id == "Task_CoSign")
    )
    assert sorted(t.state for t in rows) == sorted([TaskState.COMPLETED, TaskState.CANCELLED])
    decision = open_task(db, case, "Task_Decision")  # back to the officer, a new round later
    assert decision.state == TaskState.OPEN
    assert fresh(db, case).status not in (CaseStatus.APPROVED, CaseStatus.REJECTED)


def test_a_signer_outside_the_group_is_refused_and_twice_is_a_conflict(db: Any) -> None:
    case = _large_permit(db)
    chief_task = signers(db, case)["construction"]
    # The permit officer is in the construction group but the section chief's signature is the head's.
    for outsider in ("permit_officer", "planner"):
        who = user_named(db, outsider)
        refused(db, case, Forbidden, lambda who=who: tasks.complete_task(db, who, chief_task.id, AGREE))
    sign(db, case, "construction", "construction_chief", AGREE, at(18, 9))
    chief = user_named(db, "construction_chief")
    refused(db, case, Conflict, lambda: tasks.complete_task(db, chief, chief_task.id, AGREE))


@pytest.fixture
def any_sign(db: Any, tmp_path: Path) -> Any:
    """The permit process with its co-signing switched to 或签 (a BPMN edit only)."""
    for name in ("construction_permit.bpmn", "parallel_review.bpmn", "review_agencies.dmn", "groups.yaml"):
        shutil.copy(ROOT / name, tmp_path)
    path = tmp_path / "construction_permit.bpmn"
    text = path.read_text(encoding="utf-8")
    assert text.count('name="sign_rule" value="all"') == 1
    path.write_text(
        text.replace('name="sign_rule" value="all"', 'name="sign_rule" value="any"'), encoding="utf-8"
    )
    processes.deploy_processes(db, None, [path, tmp_path / "parallel_review.bpmn"])
    db.commit()
    yield
    processes.deploy_processes(db, None, [ROOT / "construction_permit.bpmn", ROOT / "parallel_review.bpmn"])
    db.commit()


def test_any_sign_ends_at_the_first_signature_and_cancels_the_others(db: Any, any_sign: Any) -> None:
    case = _large_permit(db, "或签项目")
    others = signers(db, case)
    assert sorted(others) == ["bureau", "construction"]
    assert others["bureau"].context["signing"]["rule"] == "any"
    sign(db, case, "bureau", "deputy", AGREE, at(18, 9))
    db.expire_all()
    assert db.get(HumanTask, others["construction"].id).state == TaskState.CANCELLED
    assert fresh(db, case).status == CaseStatus.APPROVED
    chief = user_named(db, "construction_chief")
    refused(db, case, Conflict, lambda: tasks.complete_task(db, chief, others["construction"].id, AGREE))


def test_a_heads_only_task_is_marked_on_its_row_and_left_out_of_a_plain_members_inbox(db: Any) -> None:
    """The row's `heads_only` follows the context's `supervisors_only` whoever writes the row, and
    the inbox's plain-member range filters on it (services/tasks.py `_groups_scope`)."""
    case = _large_permit(db)
    chief_task = signers(db, case)["construction"]
    assert chief_task.heads_only is True
    others = db.scalars(select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.id != chief_task.id))
    assert [t.id for t in others if t.heads_only] == []

    def listed(username: str) -> list[int]:
        page = tasks.list_inbox(db, user_named(db, username), tasks.InboxQuery(per_page=100))
        return [t.id for t in page.items]

    assert chief_task.id in listed("construction_chief")
    assert chief_task.id not in listed("permit_officer")
    query = tasks.InboxQuery()
    assert tasks.count_inbox(db, user_named(db, "permit_officer"), query) == len(listed("permit_officer"))
