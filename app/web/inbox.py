"""The reviewer's inbox (the blueprint `inbox`, which holds the task pages too): its query in the
URL, the tabs with their counts, the filters, most urgent first, paged."""

from __future__ import annotations

from dataclasses import replace
from enum import Enum
from typing import Any, TypeVar

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app import clock
from app.models import User
from app.services import (
    case_overrun,
    processes,
    saved_filters,
    staff_start,
    substitutions,
    tasks,
)
from app.services.calendar import SlaState
from app.services.task_access import group_slugs

from . import common
from .auth import current_user, login_required
from .sla import due_in_words

bp = Blueprint("inbox", __name__)

PER_PAGE = 25

E = TypeVar("E", bound=Enum)
D = TypeVar("D")


def _member(enum_type: type[E], value: Any, default: D) -> E | D:
    """The enum member whose value is ``value``; anything else (a hand-edited URL) is ``default``."""
    try:
        return enum_type(value)
    except ValueError:
        return default


def inbox_query(args: Any, user: User) -> tasks.InboxQuery:
    """The inbox query in a URL's arguments, with anything unknown replaced by the default."""
    scope = _member(tasks.InboxScope, args.get("scope"), tasks.InboxScope.GROUP)
    if scope not in tasks.inbox_scopes(common.session(), user):
        scope = tasks.InboxScope.GROUP
    try:
        page = max(1, min(int(args.get("page", 1)), 10_000))
    except ValueError:
        page = 1
    process = common.no_nul(args.get("process") or "") or None
    sla = _member(SlaState, args.get("sla"), None)
    q = common.no_nul(args.get("q") or "").strip()[:100] or None
    sort = _member(tasks.InboxSort, args.get("sort"), tasks.InboxSort.DUE_AT)
    return tasks.InboxQuery(
        scope=scope, process=process and process[:64], sla=sla, q=q, sort=sort, page=page, per_page=PER_PAGE
    )


def query_args(query: tasks.InboxQuery, **changes: Any) -> dict[str, Any]:
    """The query as URL arguments, leaving out defaults (short, shareable URLs)."""
    values = {
        "scope": query.scope,
        "process": query.process,
        "sla": query.sla,
        "q": query.q,
        "sort": query.sort,
        "page": query.page,
    }
    values.update(changes)
    defaults = {"scope": "group", "sort": "due_at", "page": 1}
    return {k: v for k, v in values.items() if v not in (None, "") and defaults.get(k) != v}


def request_inbox_args(user: User) -> dict[str, Any]:
    """The inbox query of this request's URL, as arguments for the next URL (first page)."""
    return query_args(inbox_query(request.args, user), page=1)


@bp.route("/inbox")
@login_required
def inbox() -> ResponseReturnValue:
    """The reviewer's inbox: tabs with counts, filters, most urgent first, paged."""
    user = current_user()
    assert user is not None
    if not user.is_staff:
        return redirect(url_for("applicant.my_cases"))
    query = inbox_query(request.args, user)
    db = common.session()
    page = tasks.list_inbox(db, user, query)
    scopes = tasks.inbox_scopes(common.session(), user)
    counts = {
        scope: (page.total if page.total_exact else tasks.COUNT_LIMIT + 1)
        if scope == query.scope
        else tasks.count_inbox(db, user, replace(query, scope=scope))
        for scope in scopes
    }
    now = clock.now()
    late = case_overrun.overrun_ids(db, [t.case_id for t in page.items], now)  # statutory overrun
    away = substitutions.substitutes_now(db, {t.assignee_id for t in page.items if t.assignee_id})  # 委托
    rows = [
        {
            "task": s.task,
            "sla": s.sla,
            "due_words": due_in_words(s.task.due_at, now),
            "assignee": s.assignee.display_name if s.assignee else None,
            "overrun": s.task.case_id in late,
            "substitute": away.get(s.task.assignee_id or 0),
            "signing": s.signing,  # 会签 / 或签: the round's progress
            "url": url_for("inbox.task_page", task_id=s.task.id, **query_args(query, page=1)),
        }
        for s in tasks.summaries(db, page.items)
    ]
    versions = processes.current_versions(db)
    return render_template(
        "inbox.html",
        query=query,
        rows=rows,
        total=page.total,
        total_exact=page.total_exact,
        count_limit=tasks.COUNT_LIMIT,
        pages=max(1, -(-page.total // page.per_page)),
        counts=counts,
        scopes=scopes,
        processes=versions,
        process_names={v.key: v for v in versions},
        query_args=query_args,
        startable=staff_start.startable_by(db, user),
        saved_filters=saved_filters.filters_for(db, user),
        current_args=query_args(query, page=1),
        my_groups=group_slugs(user),
        started=staff_start.started_by(db, user, limit=10),
    )
