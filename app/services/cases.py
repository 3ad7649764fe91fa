"""Cases: starting one, and the view of it that applicants, the public and staff see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.errors import Forbidden, InvalidData, NotAuthenticated, NotFound
from app.models import Case, HumanTask, ServiceRating, TaskState, User

from . import case_numbers, certificates, gateway, performer_tasks, personal_data, platform, processes, steps
from .calendar import SlaState, sla_state
from .case_access import case_access
from .case_clock import is_overrun, open_suspension, paused_working_days
from .case_view import CaseClock, CaseView, ClockPause, CorrectionRequest, RatingView, TimelineStep


@dataclass(frozen=True)
class StartedCase:
    case: Case
    query_code: str


def start_case(session: Session, actor: User | None, process_key: str, data: Any) -> StartedCase:
    """Validate the start form, create the case and run its workflow to the first wait."""
    version = processes.current_snapshot(session, process_key)
    check_may_start(actor, version.meta)
    if not isinstance(data, dict):
        raise InvalidData("the application data must be a JSON object", {"data": ["must be an object"]})
    command = steps.StartCase(
        version,
        data,
        actor,
        applicant_id=actor.id if actor is not None and not actor.is_staff else None,
        start_data={"applicant": _verified(actor)},
    )
    outcome = steps.advance(session, command)
    assert outcome.query_code is not None
    return StartedCase(outcome.case, outcome.query_code)


def check_may_start(actor: User | None, meta: dict[str, Any]) -> None:
    """Who may start a process: anyone when it is public, else an applicant account; staff only
    when they belong to its `starters` groups (e.g. inspectors issue orders); admins always. A process
    started by a message (a site alert) is started only by that message from an integration client:
    an account typing the alert's data would have a contractor ordered to rectify."""
    if meta["start"].get("message"):
        raise Forbidden(f"this process is started by the message {meta['start']['message']!s} only")
    if actor is None and not meta["start"]["public"]:
        raise NotAuthenticated("this process needs an applicant account: log in first")
    starters = set(meta["start"].get("starters") or [])
    if starters and actor is not None and not actor.has_role("admin"):
        if not (actor.is_staff and starters & {m.group.slug for m in actor.memberships}):
            raise Forbidden("only members of " + ", ".join(sorted(starters)) + " may start this process")
    elif actor is not None and actor.is_staff and not meta["start"]["public"] and not actor.has_role("admin"):
        raise Forbidden("staff cannot submit applications for this process")


def _verified(actor: User | None) -> dict[str, Any] | None:
    """Who filed, as the platform knows it (not as typed into the form): BPMN conditions that weigh
    the applicant — e.g. credit for 容缺受理 — read `applicant["credit_code"]`, which no form field
    can set."""
    if actor is None or actor.is_staff:
        return None
    return {"kind": "company" if actor.credit_code else "citizen", "credit_code": actor.credit_code or None}


def outcome_titles(schema: dict[str, Any] | None, outcome: str | None) -> dict[str, str | None]:
    """The outcome as the form that produced it names the choice (zh-CN title, `x-title-en`), so an
    analyst who adds a choice to a form needs no code change for it to read well on status pages."""
    field = (schema or {}).get("properties", {})
    choices = (field.get("decision") or field.get("outcome") or {}).get("oneOf") or []
    for choice in choices:
        if isinstance(choice, dict) and outcome is not None and choice.get("const") == outcome:
            return {"outcome_title": choice.get("title"), "outcome_title_en": choice.get("x-title-en")}
    return {"outcome_title": None, "outcome_title_en": None}


def find_case(session: Session, number: str) -> Case:
    case = session.scalar(select(Case).where(Case.number == number))
    if case is None:
        raise NotFound("no case with this number and query code")
    return case


def case_for_viewer(
    session: Session, number: str, viewer: User | None, code: str | None
) -> tuple[Case, bool]:
    """The case if the viewer may see it, and whether they may see its data.

    Unknown numbers and wrong codes give the same answer, so numbers cannot be probed.
    """
    case = session.scalar(select(Case).where(Case.number == number[:40]))
    if case is not None:
        proved = bool(code) and case_numbers.code_matches(session, case, code or "")
        performer = not proved and performer_tasks.performs_on(session, case, viewer)
        access = case_access(case, viewer, code_proved=proved, performer=performer)
        if access.view:
            return case, access.data
    raise NotFound("no case with this number and query code")


def public_view(session: Session, case: Case, *, with_data: bool) -> CaseView:
    """The case as the API's `GET /cases/{number}` and the status pages show it."""
    now = clock.now()
    version = processes.version_by_id(session, case.process_version_id)
    assert version is not None
    tasks = list(
        session.scalars(
            select(HumanTask).where(HumanTask.case_id == case.id).order_by(HumanTask.created_at, HumanTask.id)
        )
    )
    timeline = _timeline(version, case, tasks, now)
    requests = [
        CorrectionRequest(
            task_id=t.id,
            name=t.name,
            name_en=t.name_en,
            due_at=t.due_at,
            items=(t.context or {}).get("items", []),
        )
        for t in tasks
        if t.state == TaskState.OPEN and t.candidate_group == gateway.APPLICANT_GROUP
    ]
    return CaseView(
        number=case.number,
        process=case.process_key,
        process_name=version.name,
        process_name_en=version.name_en,
        status=case.status.value,
        stage=case.stage,
        stage_en=case.stage_en,
        project_name=case.project_name,
        submitted_at=case.submitted_at,
        completed_at=case.completed_at,
        due_at=case.due_at,
        clock=_clock(session, case, timeline, now),
        sla=sla_state(case.completed_at or now, case.due_at, None) if case.due_at else SlaState.ON_TIME,
        timeline=timeline,
        requests=requests,
        documents=certificates.documents(session, case),
        data=personal_data.reveal(session, case.id, case.data) if with_data else None,
        suspended=open_suspension(case) is not None,
        rating=_rating(session, case),
        overrun=is_overrun(platform.calendar(session), case, now),
    )


def _timeline(
    version: processes.VersionSnapshot, case: Case, tasks: list[HumanTask], now: datetime
) -> list[TimelineStep]:
    """The submission, then every task in the order it opened (督办 replies left out)."""
    timeline = [
        TimelineStep(
            name="提交申请",
            name_en="Application submitted",
            group="applicant",
            state="completed",
            started_at=case.submitted_at,
            due_at=None,
            completed_at=case.submitted_at,
            outcome="submitted",
            sla=SlaState.ON_TIME,
        )
    ]
    for task in tasks:
        if task.procedure == "supervision_reply":
            continue  # 督办 is the administration's own business
        end = task.completed_at if task.state != TaskState.OPEN else now
        titles = outcome_titles(processes.form_schema(version, task.form_key), task.outcome)
        timeline.append(
            TimelineStep(
                name=task.name,
                name_en=task.name_en,
                group=task.candidate_group,
                state=task.state.value,
                started_at=task.created_at,
                due_at=task.due_at,
                completed_at=task.completed_at,
                outcome=task.outcome,
                outcome_title=titles["outcome_title"],
                outcome_title_en=titles["outcome_title_en"],
                sla=sla_state(end or now, task.due_at, task.warn_at),
                note=(task.context or {}).get("note"),
            )
        )
    return timeline


def _rating(session: Session, case: Case) -> RatingView | None:
    row = session.scalar(select(ServiceRating).where(ServiceRating.case_id == case.id))
    if row is None:
        return None
    return RatingView(row.level, row.comment, row.created_at, row.reply, row.replied_at)


def _clock(session: Session, case: Case, timeline: list[TimelineStep], now: datetime) -> CaseClock:
    """The statutory clock: working days used (paused days not counted) and its stops, each
    named by the step that stopped it (pauses store its Chinese name; the timeline knows both)."""
    cal = platform.calendar(session)
    used_end = case.completed_at or now
    used = cal.working_days_between(case.submitted_at, used_end) - paused_working_days(cal, case, used_end)
    stored = case.clock_pauses or []
    english = {step.name: step.name_en for step in timeline}
    return CaseClock(
        working_days_used=max(used, 0),
        limit=case.time_limit,
        paused=bool(stored and stored[-1].get("to") is None),
        pauses=[ClockPause.from_stored(p, english) for p in stored],
    )


def applicant_cases(session: Session, applicant: User, limit: int = 200) -> list[Case]:
    """The applicant's own cases, newest first (one indexed query; no workflow is loaded)."""
    return list(
        session.scalars(
            select(Case)
            .where(Case.applicant_id == applicant.id)
            .order_by(Case.submitted_at.desc(), Case.id.desc())
            .limit(limit)
        )
    )
