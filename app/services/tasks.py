"""Human tasks: the inbox, claiming, and completing a task through the step path."""

from __future__ import annotations

import enum
import functools
import operator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, false, func, or_, select, text, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import False_

from app import clock
from app.errors import Forbidden, NotFound
from app.models import Case, HumanTask, TaskState, User

from . import (
    attachments,
    case_comments,
    credit,
    gateway,
    personal_data,
    processes,
    search,
    steps,
    substitutions,
)
from .calendar import SlaState, sla_state
from .case_access import case_access
from .task_access import LEADER_LEVEL, assignee_names, escalated_from, group_slugs, task_permissions

# The checks below (claim, release, complete) ask the predicates task_permissions is made of.
from .task_access import is_candidate as _is_candidate
from .task_access import is_supervisor as _is_supervisor
from .task_view import AttachmentSummary, CreditDeduction, TaskDetail, TaskForm, TaskSummary

MAX_PER_PAGE = 100


CASE_NUMBER = search.CASE_NUMBER


class InboxScope(enum.StrEnum):
    """Whose tasks the inbox lists."""

    MINE = "mine"  # claimed by the user
    GROUP = "group"  # waiting in the user's groups
    ALL = "all"  # every group the user supervises (admins: every staff group)


class InboxSort(enum.StrEnum):
    """The inbox's order (ascending, empty last)."""

    DUE_AT = "due_at"
    CREATED_AT = "created_at"


@dataclass(frozen=True)
class InboxQuery:
    scope: InboxScope = InboxScope.GROUP
    process: str | None = None
    sla: SlaState | None = None
    q: str | None = None
    sort: InboxSort = InboxSort.DUE_AT
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class InboxPage:
    items: list[HumanTask]
    total: int  # at most COUNT_LIMIT
    page: int
    per_page: int
    total_exact: bool = True  # False: there are more than `total`


# The partial inbox indexes are defined `WHERE state = 'open'`; a bound parameter would hide
# from the planner that a query matches them (measured on SQLite: count 24 ms -> 0.9 ms).
OPEN = text("human_task.state = 'open'")


def _inbox_filters(session: Session, user: User, query: InboxQuery) -> list[Select[tuple[HumanTask]]]:
    """The inbox's WHERE clauses for ``query`` (scope, process, SLA state, search): one statement
    per range of the scope, disjoint, each served by its own index (see _scope_ranges)."""
    if not user.is_staff:
        raise Forbidden("the task inbox is for agency staff")
    now = clock.now()
    filters: list[Any] = []
    if query.process:
        filters.append(HumanTask.process_key == query.process)
    if query.sla == SlaState.OVERDUE:
        filters.append(HumanTask.due_at < now)
    elif query.sla == SlaState.WARNING:
        filters += [HumanTask.warn_at <= now, or_(HumanTask.due_at.is_(None), HumanTask.due_at >= now)]
    elif query.sla == SlaState.ON_TIME:
        filters.append(or_(HumanTask.warn_at.is_(None), HumanTask.warn_at > now))
    if query.q:
        term = query.q.strip()[:100]
        if CASE_NUMBER.fullmatch(term):
            # A case number (what a reviewer types after a phone call): through the unique index on
            # case.number and the task's case_id index, never a scan of the group's tasks.
            filters.append(HumanTask.case_id.in_(select(Case.id).where(Case.number == term.upper())))
        else:
            # Anything else: the case search's index (project, address, names, form text; 2 characters
            # of Chinese are enough), as an IN on the task's case_id index.
            filters.append(HumanTask.case_id.in_(search.matching_cases(session, term)))
    return [select(HumanTask).where(OPEN, scope, *filters) for scope in _scope_ranges(session, user, query)]


def _groups_scope(user: User) -> list[Any]:
    """`scope=groups`: the tasks ``user`` may take: its groups' tasks, except a heads-only task
    (a chief's co-signature) in a group it is a plain member of - completing that would be a 403.

    As disjoint ranges (supervised groups, plain-member groups), never `IN ()` OR-ed to the other:
    SQLite cannot use the open-group index through such an OR and scanned every open task
    (100,000 open tasks: 55 ms a page instead of 4)."""
    supervised = group_slugs(user, supervised=True)
    member_only = sorted(set(group_slugs(user)) - set(supervised))
    ranges: list[Any] = []
    if supervised:
        ranges.append(HumanTask.candidate_group.in_(supervised))
    if member_only:
        ranges.append(and_(HumanTask.candidate_group.in_(member_only), HumanTask.heads_only == false()))
    return ranges or [false()]


def _scope_ranges(session: Session, user: User, query: InboxQuery) -> list[Any]:
    """The scope as disjoint clauses, each an index range in due order."""
    assigned_away, offered_away = substitutions.inbox_clauses(session, user)  # 委托
    if query.scope == InboxScope.MINE:
        return [or_(HumanTask.assignee_id == user.id, assigned_away)]
    if query.scope == InboxScope.ALL:
        if user.has_role("admin"):
            return [HumanTask.candidate_group != gateway.APPLICANT_GROUP]
        return _all_scope(session, user)
    own = _groups_scope(user)
    if isinstance(offered_away, False_):
        return own
    # A substitute's inbox: the absent colleague's group tasks may be the substitute's own group's
    # too, so one OR (rare, and a range merge would list such a task twice).
    return [or_(*own, offered_away)]


def _all_scope(session: Session, user: User) -> list[Any]:
    """`scope=all`: the groups ``user`` supervises, and for a leader of a group escalations rise to
    (the bureau) its own groups' tasks plus every task escalated to its level from any other group.

    Two ranges, not an `OR`: no index serves "own group or escalated" in due order, so the `OR`
    sorted every escalated task (a third of all open ones) for a page of 20. The own groups are
    read from ix_human_task_open_group_due, the escalations from ix_human_task_open_escalated_due."""
    supervised = group_slugs(user, supervised=True)
    rising = escalated_from(session, user)
    if not supervised and not rising:
        raise Forbidden("scope=all is for supervisors and the bureau's leaders")
    own = set(supervised) | (set(group_slugs(user)) if rising else set())
    others = sorted(set(rising) - own)
    ranges: list[Any] = [HumanTask.candidate_group.in_(sorted(own))]
    if others:
        # The level as a literal, like OPEN: the partial index's predicate, seen by the planner.
        level = text(f"human_task.escalation_level >= {LEADER_LEVEL}")
        ranges.append(and_(HumanTask.candidate_group.in_(others), level))
    return ranges


# Counting stops here: an exact count reads every matching index entry, so with a million open
# tasks it would cost more than the page itself. Nobody pages through 10,000 tasks; they filter.
COUNT_LIMIT = 10_000


def inbox_scopes(session: Session, user: User) -> list[InboxScope]:
    """The scopes ``user`` may list: `all` is for supervisors, the bureau's leaders and administrators."""
    supervises = user.has_role("admin") or bool(group_slugs(user, supervised=True))
    supervises = supervises or bool(escalated_from(session, user))
    return [InboxScope.MINE, InboxScope.GROUP] + ([InboxScope.ALL] if supervises else [])


def count_inbox(session: Session, user: User, query: InboxQuery) -> int:
    """How many open tasks ``query`` finds (for tab counts), up to COUNT_LIMIT + 1 (= "more"):
    one statement, each range counted up to the limit."""
    counts = [
        select(func.count()).select_from(
            stmt.with_only_columns(HumanTask.id).limit(COUNT_LIMIT + 1).subquery()
        )
        for stmt in _inbox_filters(session, user, query)
    ]
    if len(counts) == 1:
        return session.scalar(counts[0]) or 0
    total = functools.reduce(operator.add, (c.scalar_subquery() for c in counts))
    return min(session.scalar(select(total)) or 0, COUNT_LIMIT + 1)


def list_inbox(session: Session, user: User, query: InboxQuery) -> InboxPage:
    """One page of the inbox, most urgent first: indexed queries on human_task only."""
    ranges = _inbox_filters(session, user, query)
    counted = count_inbox(session, user, query)
    # Ascending with NULLs last, then id: the order of the (group|assignee, due_at, id) indexes,
    # so a page is read from the index instead of sorting every task of the group.
    order = HumanTask.created_at if query.sort == InboxSort.CREATED_AT else HumanTask.due_at
    per_page = max(1, min(query.per_page, MAX_PER_PAGE))
    page = max(1, query.page)
    stmt = ranges[0]
    if len(ranges) > 1:
        # Each range's first `page * per_page` tasks in order, merged: the page is among them.
        heads = [
            r.with_only_columns(HumanTask.id)
            .order_by(order.asc().nulls_last(), HumanTask.id)
            .limit(page * per_page)
            .subquery()
            for r in ranges
        ]
        merged = union_all(*(select(head.c.id) for head in heads)).subquery()
        stmt = select(HumanTask).join(merged, merged.c.id == HumanTask.id)
    items = list(
        session.scalars(
            stmt.order_by(order.asc().nulls_last(), HumanTask.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return InboxPage(items, min(counted, COUNT_LIMIT), page, per_page, counted <= COUNT_LIMIT)


def task_sla(task: HumanTask) -> SlaState:
    if task.state != TaskState.OPEN:
        return sla_state(task.completed_at or clock.now(), task.due_at, task.warn_at)
    return sla_state(clock.now(), task.due_at, task.warn_at)


def summaries(session: Session, rows: list[HumanTask]) -> list[TaskSummary]:
    """The tasks as lists show them, with their assignees' names (one query for all)."""
    names = assignee_names(session, rows)
    return [
        TaskSummary(t, task_sla(t), names.get(t.assignee_id) if t.assignee_id is not None else None)
        for t in rows
    ]


MAX_ID = steps.MAX_ID


def get_task(session: Session, task_id: int) -> HumanTask:
    # Ids beyond 64 bits cannot exist (and would overflow the database driver).
    task = session.get(HumanTask, task_id) if 0 < task_id <= MAX_ID else None
    if task is None:
        raise NotFound(f"no task {task_id}")
    return task


def task_detail(session: Session, user: User, task_id: int) -> TaskDetail:
    """The task with its form, the case data its performer may see, and what ``user`` may do."""
    task = get_task(session, task_id)
    permissions = task_permissions(session, user, task)
    if not permissions.view:
        raise Forbidden("this task is not for you: you are not in its group")
    case = session.get(Case, task.case_id)
    version = processes.version_by_id(session, case.process_version_id) if case else None
    assert case is not None and version is not None
    ui_name = (version.meta.get("tasks", {}).get(task.bpmn_id) or {}).get("ui_form")
    score, deductions = _credit(session, task, case, version.meta["start"]["public"])
    [summary] = summaries(session, [task])
    return TaskDetail(
        task=task,
        sla=summary.sla,
        assignee=summary.assignee,
        form=TaskForm(
            name=task.form_key,
            schema=processes.form_schema(version, task.form_key),
            ui_schema=processes.form_schema(version, ui_name),
        ),
        case=case,
        data=visible_data(session, user, task, case),
        submitted=personal_data.reveal(session, case.id, task.submitted or {}),
        comments=_comments(session, user, case),
        attachments=[AttachmentSummary.of(a) for a in attachments.case_attachments(session, case)],
        credit_score=score,
        credit_deductions=deductions,
        permissions=permissions,
    )


def _comments(session: Session, user: User, case: Case) -> list[case_comments.CommentView]:
    """The case's comments the user may read (none for a contractor performing a task)."""
    if not case_comments.comment_rights(session, user, case).read_shared:
        return []
    return case_comments.list_comments(session, user, case)


def visible_data(session: Session, user: User, task: HumanTask, case: Case) -> dict[str, Any]:
    """Staff and the case's own applicant see the case data; a company performing a task of someone
    else's case (a contractor ordered to rectify) sees only the task's `performer_data`. Personal
    values come back in clear for them (services/personal_data.py)."""
    if case_access(case, user).data:
        return dict(personal_data.reveal(session, case.id, case.data or {}))
    return dict(personal_data.reveal(session, case.id, (task.context or {}).get("performer_data") or {}))


def _credit(
    session: Session, task: HumanTask, case: Case, public: bool
) -> tuple[int | None, list[CreditDeduction]]:
    """The concerned company's score and latest deductions, for the reviewer to weigh."""
    code = credit.subject_of(session, case, (task.context or {}).get("performer_credit_code"), public)
    if code is None:
        return None, []
    deductions = [
        CreditDeduction(points=-r.delta, reason=r.reason, at=r.created_at)
        for r in credit.recent_deductions(session, code)
    ]
    return credit.score(session, code), deductions


def claim_task(session: Session, user: User, task_id: int) -> HumanTask:
    def check(session: Session, task: HumanTask) -> None:
        if not _is_candidate(session, user, task) and substitutions.on_behalf_of(session, user, task) is None:
            raise Forbidden("only members of the task's group can claim it")

    outcome = steps.advance(session, steps.ClaimTask(task_id, user, check=check))
    assert outcome.task is not None
    return outcome.task


def unclaim_task(session: Session, user: User, task_id: int) -> HumanTask:
    def check(session: Session, task: HumanTask) -> None:
        if not (_is_candidate(session, user, task) or _is_supervisor(user, task)):
            raise Forbidden("only members of the task's group can release it")

    command = steps.ReleaseTask(
        task_id, user, check=check, may_release_others=lambda task: _is_supervisor(user, task)
    )
    outcome = steps.advance(session, command)
    assert outcome.task is not None
    return outcome.task


def may_complete_check(user: User) -> steps.TaskCheck:
    """The rule for completing a task, run under the case's lock: a candidate or the assignee."""

    def check(session: Session, task: HumanTask) -> None:
        own = _is_candidate(session, user, task) or task.assignee_id == user.id
        if not own and substitutions.on_behalf_of(session, user, task) is None:  # 委托: a substitute may
            raise Forbidden("this task is not for you: you are not in its group")

    return check


def complete_task(session: Session, user: User, task_id: int, data: Any) -> Case:
    """Complete a task: the step path locks, checks, validates, runs the engine, saves, audits.

    Every caller (API, pages, jobs, CLI) completes tasks through this one function.
    """
    # Lock first and check after: every check sees the task as it is under the lock.
    return steps.advance(
        session, steps.CompleteTask(task_id, data, user, check=may_complete_check(user))
    ).case
