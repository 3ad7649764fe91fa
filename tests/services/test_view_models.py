"""The typed view models between services and the edges: what `public_view` and `task_detail`
build, and how their parts read."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from app.models import Case, HumanTask, TaskState
from app.services import cases, personal_data, tasks
from app.services.calendar import SlaState
from app.services.case_view import (
    CaseClock,
    CaseDocument,
    CaseView,
    ClockPause,
    CorrectionRequest,
    TimelineStep,
)
from app.services.task_access import PersonName
from app.services.task_view import AttachmentSummary, CreditDeduction, TaskForm, TaskSummary
from tests.helpers import complete_at, open_task, permit_application, plain, user_named

START = datetime(2026, 11, 16, 3, 0, tzinfo=UTC)
END = datetime(2026, 11, 18, 3, 0, tzinfo=UTC)


def test_a_stored_pause_reads_as_datetimes_with_the_steps_english_name() -> None:
    stored = {"from": START.isoformat(), "to": END.isoformat(), "reason": "补正材料"}
    pause = ClockPause.from_stored(stored, {"补正材料": "Provide corrections"})
    assert pause == ClockPause(START, END, "补正材料", "Provide corrections")
    running = ClockPause.from_stored({"from": START.isoformat(), "to": None, "reason": "未知"}, {})
    assert running.ended_at is None and running.reason_en == ""
    # The stored strings come back unchanged from the datetimes (what the API shows).
    assert pause.started_at.isoformat() == stored["from"] and pause.ended_at is not None
    assert pause.ended_at.isoformat() == stored["to"]


def _view(**changes: Any) -> CaseView:
    step = TimelineStep(
        "提交申请",
        "Application submitted",
        "applicant",
        "completed",
        START,
        None,
        START,
        "submitted",
        SlaState.ON_TIME,
    )
    values: dict[str, Any] = {
        "number": "CP20261116000001",
        "process": "construction_permit",
        "process_name": "施工许可",
        "process_name_en": "Construction permit",
        "status": "waiting_for_applicant",
        "stage": "补正材料",
        "stage_en": "Provide corrections",
        "project_name": "北湖",
        "submitted_at": START,
        "completed_at": None,
        "due_at": END,
        "clock": CaseClock(1, "20wd", True, [ClockPause(START, None, "补正材料", "Provide corrections")]),
        "sla": SlaState.ON_TIME,
        "timeline": [step],
        "requests": [CorrectionRequest(7, "补正材料", "Provide corrections", END, ["签章页"])],
        "documents": [
            CaseDocument("许可证", "Permit", "No1", "/pdf", "/verify", START, date(2029, 12, 31), "valid")
        ],
    }
    return CaseView(**{**values, **changes})


def test_a_case_view_without_requests_keeps_everything_else() -> None:
    view = _view()
    bare = view.without_requests()
    assert bare.requests == [] and view.requests  # frozen: the original is untouched
    assert plain(bare) == {**plain(view), "requests": []}
    assert view.data is None and "data" not in plain(view)


def test_view_models_keep_the_api_key_names() -> None:
    shown = plain(_view(data={"project_name": "北湖"}))
    assert set(shown) == {
        "number", "process", "process_name", "process_name_en", "status", "stage", "stage_en",
        "project_name", "submitted_at", "completed_at", "due_at", "clock", "sla", "timeline",
        "requests", "documents", "data", "suspended", "rating", "overrun",
    }  # fmt: skip
    assert shown["clock"]["pauses"] == [{"from": START, "to": None, "reason": "补正材料"}]
    assert shown["requests"][0]["task_id"] == 7 and shown["sla"] == "on_time"


def test_a_task_summary_names_its_assignee_by_login() -> None:
    task = HumanTask(id=1, state=TaskState.OPEN)
    assert TaskSummary(task, SlaState.WARNING, None).assignee_username is None
    summary = TaskSummary(task, SlaState.WARNING, PersonName("clerk", "王窗口"))
    assert summary.assignee_username == "clerk" and summary.sla == "warning"


def test_public_view_and_task_detail_are_typed(db: Any) -> None:
    application = permit_application("类型化视图")
    case = cases.start_case(db, user_named(db, "acme"), "construction_permit", application).case
    db.commit()
    complete_at(
        db,
        case,
        "Task_Acceptance",
        "clerk",
        {"decision": "correct", "correction_items": ["签章页"]},
        datetime.now(UTC),
    )
    stored = db.scalar(select(Case).where(Case.id == case.id))
    view = cases.public_view(db, stored, with_data=False)
    assert isinstance(view, CaseView) and view.data is None
    assert all(isinstance(step, TimelineStep) for step in view.timeline)
    assert view.clock.paused and isinstance(view.clock.pauses[0], ClockPause)
    assert view.clock.pauses[0].started_at.isoformat() == stored.clock_pauses[0]["from"]
    assert view.clock.pauses[0].reason_en  # the step's English name, from the timeline
    [request] = view.requests
    assert isinstance(request, CorrectionRequest) and request.items == ["签章页"]
    # Personal values are stored sealed and shown in clear to those who may see the data.
    shown = personal_data.reveal(db, stored.id, stored.data)
    assert cases.public_view(db, stored, with_data=True).data == shown

    correction = open_task(db, case, "Task_Correction")
    detail = tasks.task_detail(db, user_named(db, "acme"), correction.id)
    assert detail.task.id == correction.id and detail.case.id == case.id
    assert isinstance(detail.form, TaskForm) and detail.form.name == correction.form_key
    assert detail.permissions.complete and not detail.permissions.reassign
    # The applicant's task is theirs from the start: named by login in the API, by name on pages.
    assert detail.assignee is not None and detail.assignee.username == "acme"
    assert isinstance(detail.sla, SlaState)
    assert all(isinstance(a, AttachmentSummary) for a in detail.attachments)
    assert all(isinstance(d, CreditDeduction) for d in detail.credit_deductions)
    assert detail.summary.task is detail.task
    db.rollback()
