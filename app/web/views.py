"""The pages: login, the inbox, a task with its form; claim, unclaim, complete and reassign.

Each view parses input, calls one service, commits once and renders. Domain errors become a
clear message; a refused request never changes anything (the service raised before any commit).
"""

from __future__ import annotations

from enum import Enum
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime, gettext, ngettext
from flask_wtf.csrf import CSRFError
from sqlalchemy import select

from app import clock
from app.errors import (
    CaseInError,
    Conflict,
    Forbidden,
    InvalidData,
    NotAuthenticated,
    NotFound,
    PermitFlowError,
)
from app.models import Group, HumanTask, Membership, TaskState, User
from app.services import auth as auth_service
from app.services import cases, processes, tasks
from app.services.calendar import SlaState
from app.services.reassign import reassign_task

from . import common, schema_form
from .auth import current_user, log_in, log_out, login_guard, login_required
from .i18n import COOKIE, LANGUAGES, current_language, pick
from .sla import due_in_words

bp = Blueprint("web", __name__)

PER_PAGE = 25


# ---------------------------------------------------------------- request set-up and errors


@bp.before_request
def _protect() -> None:
    from . import csrf

    csrf.protect()


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {
        "pick": pick,
        "current_user": current_user,
        "languages": LANGUAGES,
        "current_language": current_language,
        "localtime": localtime,
        "group_name": group_name,
    }


def localtime(moment: Any, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """A UTC time shown in the platform's time zone (Asia/Shanghai)."""
    return "" if moment is None else str(format_datetime(moment, fmt))


def group_name(slug: str | None) -> str:
    if not slug:
        return ""
    if "group_names" not in g:
        g.group_names = {grp.slug: grp for grp in common.session().scalars(select(Group))}
    group = g.group_names.get(slug)
    if slug == "applicant":
        return gettext("Applicant")
    return pick(group) if group is not None else slug


def _message_for(err: PermitFlowError) -> str:
    if isinstance(err, Conflict):
        return gettext(
            "This task changed while you were working on it: it was completed or claimed by "
            "someone else. Nothing was saved."
        )
    if isinstance(err, Forbidden):
        return gettext(
            "You are not allowed to do this: the task belongs to a group you are not in. Nothing was changed."
        )
    if isinstance(err, NotFound):
        return gettext("This task or page does not exist.")
    if isinstance(err, CaseInError):
        return gettext("The case stopped on an error; an administrator must resolve it first.")
    if isinstance(err, InvalidData):
        return gettext("Some of the information is not valid. Nothing was saved.")
    return gettext("The request could not be carried out. Nothing was changed.")


def error_page(status: int, title: str, message: str) -> ResponseReturnValue:
    return render_template("error.html", status=status, title=title, message=message), status


@bp.errorhandler(PermitFlowError)
def _domain_error(err: PermitFlowError) -> ResponseReturnValue:
    common.rollback()
    if isinstance(err, NotAuthenticated):
        return redirect(url_for("web.login", next=request.path))
    titles = {403: gettext("Not allowed"), 404: gettext("Not found"), 409: gettext("Changed meanwhile")}
    return error_page(err.status, titles.get(err.status, gettext("Could not be done")), _message_for(err))


@bp.errorhandler(CSRFError)
def _csrf_error(_err: CSRFError) -> ResponseReturnValue:
    common.rollback()
    return error_page(
        400,
        gettext("The form has expired"),
        gettext(
            "The form expired or did not come from this site. Nothing was changed: "
            "go back, reload the page and try again."
        ),
    )


@bp.errorhandler(413)
def _too_large(_err: Any) -> ResponseReturnValue:
    common.rollback()
    limit = max(1, common.settings().max_upload_bytes // (1024 * 1024))
    return error_page(
        413,
        gettext("The file is too large"),
        gettext(
            "Files may be at most %(num)d MB. Nothing was saved: go back and choose a smaller file.",
            num=limit,
        ),
    )


@bp.errorhandler(404)
def _not_found(_err: Any) -> ResponseReturnValue:
    return error_page(404, gettext("Not found"), gettext("This task or page does not exist."))


@bp.errorhandler(500)
def _internal(_err: Any) -> ResponseReturnValue:
    common.rollback()
    return error_page(
        500,
        gettext("Something went wrong"),
        gettext("An internal error occurred and has been logged. Nothing was changed."),
    )


# ---------------------------------------------------------------- login, logout, language


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Log in with username and password; repeated failures lock the username for a while."""
    next_url = common.safe_next(request.values.get("next"), url_for("web.inbox"))
    error = None
    username = ""
    status = 200
    if request.method == "POST":
        username = _no_nul(request.form.get("username", "")).strip()[:64]
        password = _no_nul(request.form.get("password", ""))[:256]
        guard = login_guard()
        if not username or not password:
            error, status = gettext("Enter your username and password."), 400
        elif guard.locked_for(username):
            minutes = max(1, round(guard.locked_for(username) / 60))
            error = ngettext(
                "Too many failed attempts. This account is locked; try again in %(num)d minute.",
                "Too many failed attempts. This account is locked; try again in %(num)d minutes.",
                minutes,
            )
            status = 429
        else:
            try:
                user = auth_service.authenticate(common.session(), username, password)
            except NotAuthenticated:
                common.rollback()
                guard.record_failure(username)
                error, status = gettext("Wrong username or password."), 401
            else:
                guard.reset(username)
                log_in(user)
                return redirect(next_url)
    return render_template("login.html", error=error, username=username, next=next_url), status


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    log_out()
    flash(gettext("You have logged out."), "info")
    return redirect(url_for("web.login"))


@bp.route("/lang/<code>")
def set_language(code: str) -> ResponseReturnValue:
    """Switch the pages' language and remember the choice in a cookie for a year."""
    if code not in LANGUAGES:
        abort(404)
    response = make_response(redirect(common.safe_next(request.args.get("next"), url_for("web.inbox"))))
    response.set_cookie(
        COOKIE,
        code,
        max_age=365 * 86400,
        samesite="Lax",
        httponly=True,
        secure=common.settings().secure_cookies,
    )
    return response


# ---------------------------------------------------------------- the inbox


def _no_nul(text: str) -> str:
    # No stored or compared text may hold NUL (PostgreSQL refuses it): drop it from input.
    return text.replace("\x00", "")


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
    if scope not in tasks.inbox_scopes(user):
        scope = tasks.InboxScope.GROUP
    try:
        page = max(1, min(int(args.get("page", 1)), 10_000))
    except ValueError:
        page = 1
    process = _no_nul(args.get("process") or "") or None
    sla = _member(SlaState, args.get("sla"), None)
    q = _no_nul(args.get("q") or "").strip()[:100] or None
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


@bp.route("/")
@bp.route("/inbox")
@login_required
def inbox() -> ResponseReturnValue:
    """The reviewer's inbox: tabs with counts, filters, most urgent first, paged."""
    user = current_user()
    assert user is not None
    if not user.is_staff:
        return redirect(url_for("web.my_cases"))
    query = inbox_query(request.args, user)
    db = common.session()
    page = tasks.list_inbox(db, user, query)
    scopes = tasks.inbox_scopes(user)
    counts = {
        scope: (page.total if page.total_exact else tasks.COUNT_LIMIT + 1)
        if scope == query.scope
        else tasks.count_inbox(db, user, _replace(query, scope=scope))
        for scope in scopes
    }
    now = clock.now()
    rows = [
        {
            "task": s.task,
            "sla": s.sla,
            "due_words": due_in_words(s.task.due_at, now),
            "assignee": s.assignee.display_name if s.assignee else None,
            "url": url_for("web.task_page", task_id=s.task.id, **query_args(query, page=1)),
        }
        for s in tasks.summaries(db, page.items)
    ]
    pages = max(1, -(-page.total // page.per_page))
    versions = processes.current_versions(db)
    return render_template(
        "inbox.html",
        query=query,
        rows=rows,
        total=page.total,
        total_exact=page.total_exact,
        count_limit=tasks.COUNT_LIMIT,
        pages=pages,
        counts=counts,
        scopes=scopes,
        processes=versions,
        process_names={v.key: v for v in versions},
        query_args=query_args,
    )


def _replace(query: tasks.InboxQuery, **changes: Any) -> tasks.InboxQuery:
    from dataclasses import replace

    return replace(query, **changes)


# ---------------------------------------------------------------- a task


def _start_schema(version: Any) -> dict[str, Any]:
    """The start form's schema, with the task forms' schemas under the keys their data sits in
    (e.g. `acceptance`), so the whole case reads with titles instead of keys."""
    start_name = (version.meta.get("start") or {}).get("form")
    start = processes.form_schema(version, start_name) or {}
    properties = dict(start.get("properties") or {})
    forms = [v for k, v in version.files.items() if k.startswith("forms/") and isinstance(v, dict)]
    return {"properties": properties, "_forms": forms}


def _case_rows(
    case_data: dict[str, Any], version: Any
) -> tuple[list[schema_form.DataRow], list[schema_form.DataRow]]:
    """The case data described by a form (with titles), and the process's own variables."""
    schema = _start_schema(version)
    props = schema["properties"]
    for key, value in case_data.items():
        if key in props or not isinstance(value, dict) or not value:
            continue
        for form in schema["_forms"]:
            known = form.get("properties") or {}
            if set(value) <= set(known):
                props[key] = {**form, "title": form.get("title", key)}
                break
    described = {k: v for k, v in case_data.items() if k in props}
    other = {k: v for k, v in case_data.items() if k not in props}
    return (
        schema_form.data_rows(described, {"properties": props}),
        schema_form.data_rows(other, None),
    )


def _task_context(user: User, task_id: int) -> dict[str, Any]:
    """Everything the task page shows."""
    db = common.session()
    detail = tasks.task_detail(db, user, task_id)
    task, case, allowed = detail.task, detail.case, detail.permissions
    version = processes.version_by_id(db, case.process_version_id)
    view = cases.public_view(db, case, with_data=False)
    fields = schema_form.build_fields(detail.form.schema)
    case_rows, process_rows = _case_rows(case.data or {}, version)
    is_open = task.state == TaskState.OPEN
    context: dict[str, Any] = {
        "task": task,
        "case": case,
        "version": version,
        "view": view,
        "case_rows": case_rows,
        "process_rows": process_rows,
        "fields": fields,
        "form_schema": detail.form.schema,
        "credit_score": detail.credit_score,
        "credit_deductions": detail.credit_deductions,
        "comments": detail.comments,
        "attachments": detail.attachments,
        "sla": detail.sla,
        "due_words": due_in_words(task.due_at, clock.now()) if is_open else "",
        "assignee": detail.assignee.display_name if detail.assignee else None,
        "is_open": is_open,
        "mine": allowed.assignee,
        # The buttons: the same answer the API and the services act on (services/task_access.py).
        "can_complete": allowed.complete,
        "can_claim": allowed.claim,
        "can_unclaim": allowed.release,
        "can_reassign": allowed.reassign,
        "values": schema_form.form_values(fields, task.submitted or {}) if not is_open else {},
        "errors": {},
        "general_errors": [],
        "first_error": None,
        "field_labels": schema_form.labels(fields),
        "problem": None,
    }
    if context["can_reassign"]:
        context["members"] = list(
            db.execute(
                select(User.username, User.display_name)
                .join(Membership, Membership.user_id == User.id)
                .join(Group, Group.id == Membership.group_id)
                .where(Group.slug == task.candidate_group, User.is_active.is_(True))
                .order_by(User.username)
            )
        )
        context["groups"] = list(db.scalars(select(Group).order_by(Group.id)))
    return context


def _inbox_args_of_request(user: User) -> dict[str, Any]:
    return query_args(inbox_query(request.args, user), page=1)


def _render_task(context: dict[str, Any], status: int = 200) -> ResponseReturnValue:
    user = current_user()
    assert user is not None
    return render_template("task.html", inbox_args=_inbox_args_of_request(user), **context), status


@bp.route("/tasks/<int:task_id>")
@login_required
def task_page(task_id: int) -> ResponseReturnValue:
    """The task: the case laid out for reading, its timeline, and the task's form."""
    user = current_user()
    assert user is not None
    return _render_task(_task_context(user, task_id))


def _back_to_task(task_id: int) -> ResponseReturnValue:
    user = current_user()
    assert user is not None
    return redirect(url_for("web.task_page", task_id=task_id, **_inbox_args_of_request(user)))


def _refused(task_id: int, err: PermitFlowError) -> ResponseReturnValue:
    """Show a refused action on the task page (nothing was committed)."""
    common.rollback()
    if isinstance(err, Forbidden | NotFound | NotAuthenticated):
        raise err
    flash(_message_for(err), "error")
    return _back_to_task(task_id)


@bp.route("/tasks/<int:task_id>/claim", methods=["POST"])
@login_required
def claim(task_id: int) -> ResponseReturnValue:
    user = current_user()
    assert user is not None
    try:
        tasks.claim_task(common.session(), user, task_id)
        common.commit()
    except (Conflict, CaseInError) as err:
        return _refused(task_id, err)
    flash(gettext("You have claimed this task."), "success")
    return _back_to_task(task_id)


@bp.route("/tasks/<int:task_id>/unclaim", methods=["POST"])
@login_required
def unclaim(task_id: int) -> ResponseReturnValue:
    user = current_user()
    assert user is not None
    try:
        tasks.unclaim_task(common.session(), user, task_id)
        common.commit()
    except (Conflict, CaseInError) as err:
        return _refused(task_id, err)
    flash(gettext("The task is back with the group."), "success")
    return _back_to_task(task_id)


@bp.route("/tasks/<int:task_id>/reassign", methods=["POST"])
@login_required
def reassign(task_id: int) -> ResponseReturnValue:
    """A supervisor gives the task to a member of its group or moves it to another group."""
    user = current_user()
    assert user is not None
    to_user = request.form.get("user") or None
    to_group = None if to_user else (request.form.get("group") or None)
    try:
        task = reassign_task(common.session(), user, task_id, to_user=to_user, to_group=to_group)
        common.commit()
    except (Conflict, CaseInError, InvalidData) as err:
        if isinstance(err, InvalidData):
            common.rollback()
            flash(gettext("Choose a member of the group or another group."), "error")
            return _back_to_task(task_id)
        return _refused(task_id, err)
    flash(gettext("The task was reassigned."), "success")
    if task.candidate_group not in tasks.group_slugs(user, supervised=True):
        return redirect(url_for("web.inbox", **_inbox_args_of_request(user)))
    return _back_to_task(task_id)


@bp.route("/tasks/<int:task_id>/complete", methods=["POST"])
@login_required
def complete(task_id: int) -> ResponseReturnValue:
    """Complete the task with the posted form, then open the next task of the same inbox."""
    user = current_user()
    assert user is not None
    db = common.session()
    context = _task_context(user, task_id)
    data = schema_form.read_submission(context["fields"], request.form)
    task: HumanTask = context["task"]
    name = pick(task)
    key = _sort_key(task, inbox_query(request.args, user).sort)
    try:
        case = tasks.complete_task(db, user, task_id, data)
        number = case.number
        common.commit()
    except InvalidData as err:
        common.rollback()
        context = _task_context(user, task_id)
        placed, general = schema_form.place_errors(context["fields"], err.errors)
        context.update(
            values=request.form,
            errors=placed,
            first_error=schema_form.first_error(context["fields"], placed),
            general_errors=general,
            problem=gettext("Please correct the marked fields. Nothing was saved yet."),
        )
        return _render_task(context, 422)
    except (Conflict, CaseInError) as err:
        common.rollback()
        context = _task_context(user, task_id)
        context.update(values=request.form, problem=_message_for(err))
        return _render_task(context, err.status)
    flash(gettext("Completed “%(name)s” for case %(number)s.", name=name, number=number), "success")
    return _next_task(user, key)


def _sort_key(task: HumanTask, sort: tasks.InboxSort) -> tuple[Any, ...]:
    value = task.created_at if sort == tasks.InboxSort.CREATED_AT else task.due_at
    return (value is None, value.timestamp() if value else 0.0, task.id)


def _next_task(user: User, after: tuple[Any, ...]) -> ResponseReturnValue:
    """The task that followed the completed one in the same inbox order (or the first one)."""
    query = inbox_query(request.args, user)
    args = query_args(query, page=1)
    page = tasks.list_inbox(common.session(), user, _replace(query, page=1, per_page=tasks.MAX_PER_PAGE))
    if not page.items:
        flash(gettext("Your inbox is clear."), "info")
        return redirect(url_for("web.inbox", **args))
    following = [t for t in page.items if _sort_key(t, query.sort) > after]
    target = (following or page.items)[0]
    return redirect(url_for("web.task_page", task_id=target.id, **args))


def inbox_link(args: dict[str, Any]) -> str:
    return url_for("web.inbox") + ("?" + urlencode(args) if args else "")
