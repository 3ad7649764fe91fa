"""Administrative procedures on a case (挂起/恢复, 撤回, 延期, 催办, 督办, 好差评), and the completion of
the tasks the platform opens for them. Called by the step path under the case's lock, after the
caller's permission check; each refuses with a domain error before it changes anything.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.errors import Conflict, InvalidData, TooManyRequests
from app.models import (
    AuditEvent,
    Case,
    CaseStatus,
    HumanTask,
    ServiceRating,
    TaskState,
    Timer,
    TimerKind,
    User,
)

from .. import audit, notifications, platform, procedure_rows
from ..case_clock import open_suspension
from ..gateway import APPLICANT_GROUP
from .commands import (
    OrderSupervision,
    RateService,
    RequestExtension,
    ResumeCase,
    StepOutcome,
    SuspendCase,
    UrgeCase,
    WithdrawCase,
)
from .core import RUNNING

RATED_STATUSES = (CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.CLOSED, CaseStatus.WITHDRAWN)
LEVELS = range(1, 6)  # 1 非常不满意 … 5 非常满意
POOR = 2  # levels up to this one open a follow-up
REFUSING_OUTCOMES = ("reject", "refuse", "rejected", "refused")  # a staff step's `decision` saying no
MAX_TEXT = 2000


def _text(value: str, field: str, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidData(f"{field} is required", {field: ["is required"]})
    if len(text) > MAX_TEXT:
        raise InvalidData(f"{field} is too long", {field: [f"at most {MAX_TEXT} characters"]})
    return text


def _running(case: Case, what: str) -> None:
    if case.status not in RUNNING:
        raise Conflict(f"the case is {case.status.value}: {what} only while it is in progress")


def tell_applicant(session: Session, case: Case, kind: str, title: str, title_en: str) -> None:
    applicant = session.get(User, case.applicant_id) if case.applicant_id else None
    if applicant is not None:
        notifications.notify(
            session,
            [applicant],
            kind,
            title=f"{case.number}：{title}",
            title_en=f"{case.number}: {title_en}",
            case=case,
            link=f"/track/{case.number}",
        )


def _staff_groups(open_tasks: list[HumanTask]) -> list[str]:
    return sorted(
        {t.candidate_group for t in open_tasks if t.candidate_group and t.candidate_group != APPLICANT_GROUP}
    )


def suspend(session: Session, command: SuspendCase, case: Case, open_tasks: list[HumanTask]) -> StepOutcome:
    _running(case, "the clock can be suspended")
    settings = platform.of(session).settings
    codes = [c.strip() for c in settings.suspension_reasons.split(",") if c.strip()]
    if command.reason_code not in codes:
        raise InvalidData(
            f"'{command.reason_code[:40]}' is not a reason for suspending: use one of {', '.join(codes)}",
            {"reason_code": [f"one of {', '.join(codes)}"]},
        )
    if open_suspension(case) is not None:
        raise Conflict("the case is already suspended")
    now = clock.now()
    note = _text(command.note, "note", required=False)
    pause = {
        "from": now.isoformat(),
        "to": None,
        "reason": command.reason_code,
        "kind": "suspension",
        "code": command.reason_code,
        "note": note,
        "by": command.actor.username,
    }
    case.clock_pauses = [*(case.clock_pauses or []), pause]
    notice = platform.calendar(session).add_working_days(now, settings.suspension_notice_working_days)
    session.add(Timer(case_id=case.id, kind=TimerKind.SUSPENSION_NOTICE, due_at=notice, created_at=now))
    procedure_rows.move_case_clock(session, case, now)
    detail = {"reason_code": command.reason_code, "note": note}
    audit.record(session, "case.suspended", actor=command.actor, case=case, detail=detail)
    tell_applicant(session, case, "case.suspended", "办理时限已中止（挂起）", "the time limit is suspended")
    return StepOutcome(case)


def resume(session: Session, command: ResumeCase, case: Case, open_tasks: list[HumanTask]) -> StepOutcome:
    pause = open_suspension(case)
    if pause is None:
        raise Conflict("the case is not suspended")
    now = clock.now()
    pauses = [dict(p) for p in case.clock_pauses or []]
    for item in pauses:
        if item.get("kind") == "suspension" and item.get("to") is None:
            item["to"] = now.isoformat()
    case.clock_pauses = pauses
    for timer in session.scalars(
        select(Timer).where(
            Timer.case_id == case.id,
            Timer.kind == TimerKind.SUSPENSION_NOTICE,
            Timer.fired_at.is_(None),
            Timer.cancelled_at.is_(None),
        )
    ):
        timer.cancelled_at = now
    procedure_rows.move_case_clock(session, case, now)
    note = _text(command.note, "note", required=False)
    due = case.due_at.isoformat() if case.due_at else None
    audit.record(
        session, "case.resumed", actor=command.actor, case=case, detail={"note": note, "due_at": due}
    )
    tell_applicant(session, case, "case.resumed", "办理时限恢复计算", "the time limit runs again")
    return StepOutcome(case)


def withdraw(session: Session, command: WithdrawCase, case: Case, open_tasks: list[HumanTask]) -> StepOutcome:
    if case.status == CaseStatus.WITHDRAWN:
        raise Conflict("the case was already withdrawn")
    if case.status not in RUNNING:
        raise Conflict(f"the case is {case.status.value}: only a case not yet decided can be withdrawn")
    reason = _text(command.reason, "reason")
    procedure_rows.close_case(session, case, CaseStatus.WITHDRAWN, clock.now())
    audit.record(session, "case.withdrawn", actor=command.actor, case=case, detail={"reason": reason})
    for group in _staff_groups(open_tasks):
        notifications.notify(
            session,
            notifications.group_members(session, group),
            "case.withdrawn",
            title=f"申请人已撤回：{case.number}",
            title_en=f"Withdrawn by the applicant: {case.number}",
            body=reason,
            body_en=reason,
            case=case,
        )
    return StepOutcome(case)


def request_extension(
    session: Session, command: RequestExtension, case: Case, open_tasks: list[HumanTask]
) -> StepOutcome:
    _running(case, "an extension can be asked for")
    settings = platform.of(session).settings
    limit = settings.extension_max_working_days
    days = command.working_days
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= limit:
        raise InvalidData(
            f"working_days must be a whole number from 1 to {limit}",
            {"working_days": [f"from 1 to {limit}"]},
        )
    reason = _text(command.reason, "reason")
    asked = session.scalar(
        select(HumanTask.id).where(HumanTask.case_id == case.id, HumanTask.procedure == "extension_approval")
    )
    if asked is not None or case.extension_days:
        raise Conflict("an extension was already asked for this case: only one per case")
    mine = [t for t in open_tasks if t.candidate_group and t.candidate_group != APPLICANT_GROUP]
    own = [t for t in mine if t.assignee_id == command.actor.id] or mine
    group = own[0].candidate_group if own else None
    if group is None:
        raise Conflict("the case has no open task of an agency to extend")
    task = procedure_rows.open_platform_task(
        session,
        case,
        procedure="extension_approval",
        name=f"延期审批（{days}个工作日）",
        name_en=f"Extension approval ({days} working days)",
        group=group,
        time_limit=settings.extension_approval_time_limit,
        context={
            "supervisors_only": True,
            "working_days": days,
            "reason": reason,
            "requested_by": command.actor.username,
            "note": reason,
        },
    )
    detail = {"working_days": days, "reason": reason, "task_id": task.id}
    audit.record(session, "case.extension_requested", actor=command.actor, case=case, detail=detail)
    notifications.notify(
        session,
        notifications.group_members(session, group, supervisors_only=True),
        "extension.requested",
        title=f"延期申请待审批：{case.number}",
        title_en=f"Extension to approve: {case.number}",
        body=reason,
        body_en=reason,
        case=case,
        link=f"/tasks/{task.id}",
    )
    return StepOutcome(case, task)


def urge(session: Session, command: UrgeCase, case: Case, open_tasks: list[HumanTask]) -> StepOutcome:
    _running(case, "a task can be urged")
    now = clock.now()
    late = [
        t
        for t in open_tasks
        if t.candidate_group != APPLICANT_GROUP and t.warn_at is not None and t.warn_at <= now
    ]
    if not late:
        raise Conflict("催办 is possible once a task of the case is past its warning time")
    cal = platform.calendar(session)
    today = cal.local_date(now)
    earlier = session.scalars(
        select(AuditEvent.created_at).where(AuditEvent.case_id == case.id, AuditEvent.action == "case.urged")
    )
    if any(cal.local_date(at) == today for at in earlier):
        raise TooManyRequests("the case was already urged today: once per working day")
    if not cal.is_workday(today):
        raise TooManyRequests("催办 is taken on working days: try again on the next working day")
    for task in late:
        supervisors = notifications.group_members(session, task.candidate_group or "", supervisors_only=True)
        assignee = session.get(User, task.assignee_id) if task.assignee_id else None
        users = [assignee] if assignee else notifications.group_members(session, task.candidate_group or "")
        notifications.notify(
            session,
            [*users, *supervisors],
            "case.urged",
            title=f"申请人催办：{case.number} {task.name}",
            title_en=f"The applicant urges: {case.number} {task.name_en}",
            case=case,
            link=f"/tasks/{task.id}",
        )
    detail = {"tasks": [t.id for t in late]}
    audit.record(session, "case.urged", actor=command.actor, case=case, detail=detail)
    return StepOutcome(case)


def order_supervision(
    session: Session, command: OrderSupervision, case: Case, open_tasks: list[HumanTask]
) -> StepOutcome:
    _running(case, "a supervision order can be issued")
    text = _text(command.text, "text")
    staff = sorted(
        (t for t in open_tasks if t.candidate_group != APPLICANT_GROUP and t.procedure is None),
        key=lambda t: (t.due_at is None, t.due_at or t.created_at, t.id),
    )
    if not staff:
        raise Conflict("the case has no open task of an agency to supervise")
    target = staff[0]
    settings = platform.of(session).settings
    due_at: datetime | None = None
    if command.due is not None:
        cal = platform.calendar(session)
        if command.due < cal.local_date(clock.now()):
            raise InvalidData("the reply's due date is in the past", {"due": ["must be today or later"]})
        due_at = cal.close_of(command.due)
    task = procedure_rows.open_platform_task(
        session,
        case,
        procedure="supervision_reply",
        name=f"督办回复：{target.name}",
        name_en=f"Reply to supervision: {target.name_en}",
        group=target.candidate_group or "",
        assignee_id=target.assignee_id,
        time_limit=None if due_at else settings.supervision_time_limit,
        due_at=due_at,
        context={"text": text, "ordered_by": command.actor.username, "task_id": target.id, "note": text},
    )
    detail = {"text": text, "task_id": target.id, "reply_task_id": task.id}
    audit.record(session, "case.supervision_ordered", actor=command.actor, case=case, detail=detail)
    assignee = session.get(User, target.assignee_id) if target.assignee_id else None
    notifications.notify(
        session,
        [assignee] if assignee else notifications.group_members(session, target.candidate_group or ""),
        "supervision.ordered",
        title=f"督办：{case.number} {target.name}",
        title_en=f"Supervision order: {case.number} {target.name_en}",
        body=text,
        body_en=text,
        case=case,
        link=f"/tasks/{task.id}",
    )
    return StepOutcome(case, task)


def _deciding_group(session: Session, case: Case) -> str | None:
    """The group of the case's last completed staff step (the one that decided it) — for a refused
    case the last step that refused (a parallel review's refusing agency); for a case
    withdrawn before any staff step ended, the group that had it then (a poor rating of that
    service still needs someone to answer it)."""
    staff = (
        HumanTask.case_id == case.id,
        HumanTask.candidate_group != APPLICANT_GROUP,
        HumanTask.procedure.is_(None),
    )
    done = (*staff, HumanTask.state == TaskState.COMPLETED)
    latest = (HumanTask.completed_at.desc(), HumanTask.id.desc())
    if case.status == CaseStatus.REJECTED:
        # A refusal in a parallel review is the refusing agency's, not the group finishing last.
        refusing = session.scalar(
            select(HumanTask.candidate_group)
            .where(*done, HumanTask.outcome.in_(REFUSING_OUTCOMES))
            .order_by(*latest)
            .limit(1)
        )
        if refusing is not None:
            return refusing
    decided = session.scalar(select(HumanTask.candidate_group).where(*done).order_by(*latest).limit(1))
    if decided is not None:
        return decided
    return session.scalar(
        select(HumanTask.candidate_group).where(*staff).order_by(HumanTask.id.desc()).limit(1)
    )


def rate(session: Session, command: RateService, case: Case, open_tasks: list[HumanTask]) -> StepOutcome:
    if case.status not in RATED_STATUSES:
        raise Conflict("only a finished case can be rated")
    level = command.level
    if isinstance(level, bool) or not isinstance(level, int) or level not in LEVELS:
        raise InvalidData("level must be 1 to 5 (5 = 非常满意)", {"level": ["a whole number from 1 to 5"]})
    if session.scalar(select(ServiceRating.id).where(ServiceRating.case_id == case.id)) is not None:
        raise Conflict("the case was already rated: a case is rated once")
    comment = _text(command.comment, "comment", required=False)[:500]
    now = clock.now()
    group = _deciding_group(session, case)
    rating = ServiceRating(
        case_id=case.id,
        process_key=case.process_key,
        group=group,
        level=level,
        comment=comment or None,
        rated_by_id=command.actor.id,
        created_at=now,
    )
    session.add(rating)
    session.flush()
    task = None
    if level <= POOR and group is not None:
        task = _follow_up(session, case, rating, group)
    detail = {"level": level, "comment": comment, "follow_up_task_id": task.id if task else None}
    audit.record(session, "case.rated", actor=command.actor, case=case, detail=detail)
    return StepOutcome(case, task)


def _follow_up(session: Session, case: Case, rating: ServiceRating, group: str) -> HumanTask:
    supervisors = notifications.group_members(session, group, supervisors_only=True)
    task = procedure_rows.open_platform_task(
        session,
        case,
        procedure="follow_up",
        name="差评回访",
        name_en="Follow-up of a poor rating",
        group=group,
        assignee_id=supervisors[0].id if supervisors else None,
        time_limit=platform.of(session).settings.follow_up_time_limit,
        context={
            "supervisors_only": True,
            "rating_id": rating.id,
            "level": rating.level,
            "note": rating.comment,
        },
    )
    rating.follow_up_task_id = task.id
    notifications.notify(
        session,
        supervisors,
        "rating.poor",
        title=f"差评待回访：{case.number}",
        title_en=f"Poor rating to follow up: {case.number}",
        body=rating.comment or "",
        body_en=rating.comment or "",
        case=case,
        link=f"/tasks/{task.id}",
    )
    return task
