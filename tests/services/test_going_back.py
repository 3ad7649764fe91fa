"""Going back in a case (steps/going_back.py): 退回 to a declared earlier step and a reviewer's
recall, each refusal naming its reason with nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app import clock
from app.errors import CaseInError, Conflict, Forbidden, InvalidData
from app.models import AuditEvent, Case, CaseStatus, HumanTask, TaskState
from app.services import steps
from tests.helpers import complete_at, open_task, user_named
from tests.services.test_procedure_rows import open_reply
from tests.services.test_procedures import _to_decision, at, refusal, refused, submit


def _detail(db: Any, case: Case, action: str) -> dict[str, Any]:
    event = db.scalar(
        select(AuditEvent)
        .where(AuditEvent.case_id == case.id, AuditEvent.action == action)
        .order_by(AuditEvent.id.desc())
    )
    assert event is not None
    return dict(event.detail)


def test_a_return_names_what_is_declared_and_needs_a_reason(db: Any) -> None:
    case = submit(db)
    _to_decision(db, case)
    decision = open_task(db, case, "Task_Decision")
    officer = user_named(db, "permit_officer")
    with pytest.raises(
        Conflict, match=r"may not return the case to Task_X+ \(declared: Task_Acceptance\)$"
    ) as err:
        steps.advance(db, steps.ReturnTask(decision.id, officer, "Task_" + "X" * 100, "理由"))
    assert "X" * 61 not in str(err.value)  # the unknown name is cut
    db.rollback()
    refused(
        db,
        case,
        InvalidData,
        lambda: steps.advance(db, steps.ReturnTask(decision.id, officer, "Task_Acceptance", "")),
    )
    reason = "  材料需复核" + "。" * 2500
    with clock.travel_to(at(18, 9)):
        steps.advance(db, steps.ReturnTask(decision.id, officer, "Task_Acceptance", reason))
        db.commit()
    db.expire_all()
    returned = db.get(HumanTask, decision.id)
    assert returned.outcome == "returned" and returned.completed_by_id == officer.id
    assert returned.submitted == {"reason": reason.strip()[:2000]}
    detail = _detail(db, case, "task.returned")
    assert detail["to"] == "Task_Acceptance" and detail["task"] == "Task_Decision"
    assert detail["task_id"] == decision.id and detail["reason"] == reason.strip()[:2000]
    assert open_task(db, case, "Task_Acceptance").state == TaskState.OPEN


def test_a_task_declaring_nothing_cannot_return(db: Any) -> None:
    case = submit(db)
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(16, 10))
    review = open_task(db, case, "Task_PlanningReview")
    planner = user_named(db, "planner")
    with pytest.raises(Conflict, match=r"\(declared: none\)$"):
        steps.advance(db, steps.ReturnTask(review.id, planner, "Task_Acceptance", "理由"))
    db.rollback()


def test_nothing_is_returned_to_a_step_not_passed_and_not_in_a_case_in_error(db: Any) -> None:
    case = submit(db)
    _to_decision(db, case)
    decision = open_task(db, case, "Task_Decision")
    officer = user_named(db, "permit_officer")
    acceptance = db.scalar(
        select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.bpmn_id == "Task_Acceptance")
    )
    acceptance.state = TaskState.CANCELLED  # as if the case had never passed it
    db.commit()
    with pytest.raises(Conflict, match="has not passed Task_Acceptance yet"):
        steps.advance(db, steps.ReturnTask(decision.id, officer, "Task_Acceptance", "理由"))
    db.rollback()
    acceptance.state = TaskState.COMPLETED
    db.get(Case, case.id).status = CaseStatus.ERROR
    db.commit()
    refused(
        db,
        case,
        CaseInError,
        lambda: steps.advance(db, steps.ReturnTask(decision.id, officer, "Task_Acceptance", "理由")),
    )


def test_a_recall_is_refused_once_the_next_step_is_taken_up(db: Any) -> None:
    case = submit(db)
    clerk = user_named(db, "clerk")
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(16, 10))
    acceptance = db.scalar(
        select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.bpmn_id == "Task_Acceptance")
    )
    with clock.travel_to(at(16, 11)):
        steps.advance(
            db, steps.ClaimTask(open_task(db, case, "Task_FireReview").id, user_named(db, "fire_officer"))
        )
        db.commit()
    with pytest.raises(Conflict, match="^the next step was already taken up"):
        steps.advance(db, steps.RecallTask(acceptance.id, clerk))
    db.rollback()


def test_a_recall_is_refused_after_the_case_ended_or_for_a_procedure_task(db: Any) -> None:
    case = submit(db)
    clerk = user_named(db, "clerk")
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(16, 10))
    acceptance = db.scalar(
        select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.bpmn_id == "Task_Acceptance")
    )
    db.get(Case, case.id).status = CaseStatus.WITHDRAWN
    db.commit()
    refused(db, case, Conflict, lambda: steps.advance(db, steps.RecallTask(acceptance.id, clerk)))
    db.get(Case, case.id).status = CaseStatus.IN_PROGRESS
    acceptance.procedure = "extension_approval"
    db.commit()
    with pytest.raises(Conflict, match="^a procedure's task cannot be recalled$"):
        steps.advance(db, steps.RecallTask(acceptance.id, clerk))
    db.rollback()
    with pytest.raises(Forbidden, match="^only who completed a step may recall it$"):
        steps.advance(db, steps.RecallTask(open_task(db, case, "Task_FireReview").id, clerk))
    db.rollback()


# The exact words of each refusal, what a recall or a return hands back and records, and the rows
# a recall looks at: only this case's steps begun after the completion, not its own row, and not
# the platform's procedure tasks.


def _acceptance(db: Any, case: Case) -> HumanTask:
    return db.scalar(
        select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.bpmn_id == "Task_Acceptance")
    )


def test_a_recall_looks_only_at_what_followed_in_this_case(db: Any) -> None:
    from app.services import cases
    from app.services.demo import permit_application
    from tests.services.test_procedures import MONDAY

    case = submit(db)
    clerk, planner = user_named(db, "clerk"), user_named(db, "planner")
    # Completed at the very instant the case began: the step's own row is not what followed it.
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, MONDAY)
    acceptance = _acceptance(db, case)
    err = refusal(db, case, Forbidden, steps.RecallTask(acceptance.id, planner))
    assert str(err) == "only who completed a step may recall it"
    with clock.travel_to(at(16, 11)):  # another case, begun later, taken up: not this case's next step
        other = cases.start_case(
            db, user_named(db, "acme"), "construction_permit", permit_application("他案")
        )
        steps.advance(db, steps.ClaimTask(open_task(db, other.case, "Task_Acceptance").id, clerk))
        db.commit()
    # The platform's own task, already held: not the next step either.
    open_reply(db, case, at(16, 12), group="planning", time_limit="1wd", assignee_id=planner.id)
    with clock.travel_to(at(16, 13)):
        outcome = steps.advance(db, steps.RecallTask(acceptance.id, clerk))
        db.commit()
    assert (outcome.case.id, outcome.task.id) == (case.id, acceptance.id)
    assert open_task(db, case, "Task_Acceptance").id == acceptance.id
    event = db.scalar(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "task.recalled")
    )
    assert event.actor_id == clerk.id
    assert event.detail["task_id"] == acceptance.id and event.detail["task"] == "Task_Acceptance"


def test_a_recall_is_refused_once_the_next_step_is_done(db: Any) -> None:
    case = submit(db)
    clerk = user_named(db, "clerk")
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(16, 10))
    complete_at(db, case, "Task_FireReview", "fire_officer", {"decision": "approve"}, at(16, 11))
    err = refusal(db, case, Conflict, steps.RecallTask(_acceptance(db, case).id, clerk))
    assert str(err) == "the next step was already taken up: the completion can no longer be recalled"


def test_return_refusals_say_exactly_why(db: Any) -> None:
    case = submit(db)
    _to_decision(db, case)
    decision = open_task(db, case, "Task_Decision")
    officer = user_named(db, "permit_officer")
    long_name = "Task_" + "X" * 100
    err = refusal(db, case, Conflict, steps.ReturnTask(decision.id, officer, long_name, "理由"))
    assert (
        str(err) == f"{decision.name} may not return the case to {long_name[:64]} (declared: Task_Acceptance)"
    )
    err = refusal(db, case, InvalidData, steps.ReturnTask(decision.id, officer, "Task_Acceptance", " "))
    assert (err.message, err.errors) == ("a reason is required to return a case", {"reason": ["is required"]})
    decision.context = {**(decision.context or {}), "returnable_to": ["Task_Acceptance", long_name]}
    db.commit()
    err = refusal(db, case, Conflict, steps.ReturnTask(decision.id, officer, "Task_FireReview", "理由"))
    assert str(err).endswith(f"(declared: Task_Acceptance, {long_name})")
    err = refusal(db, case, Conflict, steps.ReturnTask(decision.id, officer, long_name, "理由"))
    assert str(err) == f"the case has not passed {long_name[:64]} yet: nothing to return to"
    db.get(Case, case.id).status = CaseStatus.ERROR
    db.commit()
    err = refusal(db, case, CaseInError, steps.ReturnTask(decision.id, officer, "Task_Acceptance", "理由"))
    assert str(err) == "the case stopped on an error; an administrator must resolve it first"


def test_a_return_goes_to_this_cases_step_and_names_who_returned(db: Any) -> None:
    case, other = submit(db), submit(db)
    _to_decision(db, case)
    # Another case passed the same step later: the return still goes to this case's own step.
    complete_at(db, other, "Task_Acceptance", "clerk", {"decision": "accept"}, at(17, 11))
    decision = open_task(db, case, "Task_Decision")
    officer = user_named(db, "permit_officer")
    with clock.travel_to(at(18, 9)):
        outcome = steps.advance(db, steps.ReturnTask(decision.id, officer, "Task_Acceptance", "材料需复核"))
        db.commit()
    acceptance = _acceptance(db, case)
    assert (outcome.case.id, outcome.task.id) == (case.id, acceptance.id)
    assert open_task(db, case, "Task_Acceptance").id == acceptance.id
    event = db.scalar(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "task.returned")
    )
    assert event.actor_id == officer.id


def test_a_recall_does_not_count_what_came_before_it(db: Any) -> None:
    # Acceptance was completed before the fire review began: it is not the fire review's next step.
    case = submit(db)
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(16, 10))
    complete_at(db, case, "Task_FireReview", "fire_officer", {"decision": "approve"}, at(16, 11))
    review = db.scalar(
        select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.bpmn_id == "Task_FireReview")
    )
    with clock.travel_to(at(16, 12)):
        steps.advance(db, steps.RecallTask(review.id, user_named(db, "fire_officer")))
        db.commit()
    assert open_task(db, case, "Task_FireReview").id == review.id


def test_a_return_goes_to_the_latest_completion_of_the_step(db: Any) -> None:
    # A row of the same step with a higher id but completed earlier (as a loop's older pass would
    # be ordered if ids and completion times disagreed): the latest completion is the one reset to.
    case = submit(db)
    _to_decision(db, case)
    acceptance = _acceptance(db, case)
    older = HumanTask(
        case_id=case.id,
        case_number=case.number,
        process_key=acceptance.process_key,
        spiff_task_id="not-a-workflow-task",
        bpmn_id="Task_Acceptance",
        name=acceptance.name,
        name_en=acceptance.name_en,
        state=TaskState.COMPLETED,
        created_at=at(16, 9),
        completed_at=at(16, 9, 30),
        context={},
    )
    db.add(older)
    db.commit()
    assert older.id > acceptance.id
    decision = open_task(db, case, "Task_Decision")
    with clock.travel_to(at(18, 9)):
        outcome = steps.advance(
            db, steps.ReturnTask(decision.id, user_named(db, "permit_officer"), "Task_Acceptance", "复核")
        )
        db.commit()
    assert outcome.task.id == acceptance.id
    assert open_task(db, case, "Task_Acceptance").id == acceptance.id


def test_a_reset_the_engine_cannot_finish_is_refused_naming_the_step(db: Any, monkeypatch: Any) -> None:
    # The engine's answer is replaced: one with an error, then one in which the step is not ready
    # again. Either way the recall is refused with its reason and nothing stored changes.
    from app.engine import EngineError, Runtime

    case = submit(db)
    clerk = user_named(db, "clerk")
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(16, 10))
    acceptance = _acceptance(db, case)
    real = Runtime.reset_to

    def failing(self: Any, *args: Any) -> Any:
        result = real(self, *args)
        result.error = EngineError("脚本出错")
        return result

    monkeypatch.setattr(Runtime, "reset_to", failing)
    err = refusal(db, case, CaseInError, steps.RecallTask(acceptance.id, clerk))
    assert str(err) == f"the process could not go back to {acceptance.name}: 脚本出错"

    def not_ready(self: Any, *args: Any) -> Any:
        result = real(self, *args)
        result.ready = [t for t in result.ready if t.id != acceptance.spiff_task_id]
        return result

    monkeypatch.setattr(Runtime, "reset_to", not_ready)
    err = refusal(db, case, Conflict, steps.RecallTask(acceptance.id, clerk))
    assert str(err) == f"{acceptance.name} cannot be done again in this case"


def test_of_two_completions_at_one_instant_the_later_row_is_returned_to(db: Any) -> None:
    # The step's workflow task moved to a second row completed at the same instant: ties on the
    # completion time go to the higher row id.
    case = submit(db)
    _to_decision(db, case)
    first = _acceptance(db, case)
    spiff_id, first.spiff_task_id = first.spiff_task_id, "not-a-workflow-task"
    db.flush()
    second = HumanTask(
        case_id=case.id,
        case_number=case.number,
        process_key=first.process_key,
        spiff_task_id=spiff_id,
        bpmn_id="Task_Acceptance",
        name=first.name,
        name_en=first.name_en,
        state=TaskState.COMPLETED,
        created_at=first.created_at,
        completed_at=first.completed_at,
        context={},
    )
    db.add(second)
    db.commit()
    assert second.id > first.id
    decision = open_task(db, case, "Task_Decision")
    with clock.travel_to(at(18, 9)):
        outcome = steps.advance(
            db, steps.ReturnTask(decision.id, user_named(db, "permit_officer"), "Task_Acceptance", "复核")
        )
        db.commit()
    assert outcome.task.id == second.id
    assert open_task(db, case, "Task_Acceptance").id == second.id
