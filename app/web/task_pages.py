"""A task page (on the blueprint `inbox`): the case laid out for reading, its timeline and the
task's form; claim, unclaim, reassign and complete.

Each view parses input, calls one service, commits once and renders. A refused action is said on
the task page; a refused request never changes anything (the service raised before any commit).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
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
    TooLarge,
    UnsupportedType,
)
from app.models import Group, HumanTask, Membership, TaskState, User
from app.services import (
    attachments,
    case_comments,
    cases,
    joint_review,
    processes,
    signing_view,
    similar_cases,
    staff_start,
    tasks,
)
from app.services.consultation_view import consultation_panel
from app.services.grant_preview import grant_preview
from app.services.procedure_choices import task_choices
from app.services.reassign import reassign_task

from . import common, form_display, request_items, schema_form, uploads
from .auth import current_user, login_required
from .display import group_name
from .errors import message_for
from .i18n import pick
from .inbox import bp, inbox_query, query_args, request_inbox_args
from .procedure_labels import suspension_reason
from .sla import due_in_words
from .staff_start import ADD_ROW, with_row


def _start_schema(version: Any) -> dict[str, Any]:
    """The start form's schema, with the task forms' schemas under the keys their data sits in
    (e.g. `acceptance`), so the whole case reads with titles instead of keys."""
    start_name = (version.meta.get("start") or {}).get("form")
    start = processes.form_schema(version, start_name) or {}
    properties = dict(start.get("properties") or {})
    forms = [v for k, v in version.files.items() if k.startswith("forms/") and isinstance(v, dict)]
    return {"properties": properties, "_forms": forms}


def attachment_titles(version: Any) -> dict[str, Any]:
    """The schema of each attachment kind the process's forms name (their titles label files)."""
    found: dict[str, Any] = {}
    for name, form in version.files.items():
        if not name.startswith("forms/") or not isinstance(form, dict):
            continue
        found.update((form.get("properties") or {}).get(attachments.REFERENCES, {}).get("properties") or {})
    return found


def file_refs(number: str, items: list[Any]) -> dict[str, form_display.FileRef]:
    """The case's attachments by uid, as data rows show them (file name, preview link)."""
    return {
        a.id: form_display.FileRef(
            a.filename,
            url_for("track.download_attachment", number=number, uid=a.id, preview=1),
            a.content_type.startswith("image/"),
        )
        for a in items
    }


def _case_rows(
    case_data: dict[str, Any], version: Any, files: dict[str, form_display.FileRef]
) -> tuple[list[form_display.DataRow], list[form_display.DataRow]]:
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
        form_display.data_rows(described, {"properties": props}, files),
        form_display.data_rows(other, None, files),
    )


def _no_errors() -> dict[str, Any]:
    """The form's error slots, empty (fresh each time: a refused submission fills them)."""
    return {"errors": {}, "general_errors": [], "first_error": None}


def _starting_data(schema: dict[str, Any] | None, context: dict[str, Any]) -> dict[str, Any]:
    """An open task's form starts with a row per listed item, or with what the BPMN's `prefill`
    gives (a returned draft, to revise rather than retype)."""
    return request_items.prefill(schema, context.get("items") or []) or context.get("prefill") or {}


def task_context(user: User, task_id: int) -> dict[str, Any]:
    """Everything the task page shows."""
    db = common.session()
    detail = tasks.task_detail(db, user, task_id)
    task, case, allowed = detail.task, detail.case, detail.permissions
    version = processes.version_by_id(db, case.process_version_id)
    view = cases.public_view(db, case, with_data=False)
    is_open = task.state == TaskState.OPEN
    # An open task asking about listed items (a rectification's open findings) starts with a row each.
    filled = _starting_data(detail.form.schema, task.context or {}) if is_open else {}
    fields = schema_form.build_fields(detail.form.schema, data=detail.submitted or filled)
    case_rows, process_rows = _case_rows(detail.data, version, file_refs(case.number, detail.attachments))
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
        "kind_titles": attachment_titles(version),
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
        "values": schema_form.form_values(fields, filled if is_open else detail.submitted),
        **_no_errors(),
        "field_labels": schema_form.labels(fields),
        "problem": None,
        "can_comment": case_comments.comment_rights(db, user, case).write,
        # 会签 / 或签: the round this signature belongs to (services/signing_view.py); a round of
        # signers is no joint review of agencies, so it has its own panel instead.
        "signing": (signing := signing_view.signing_progress(db, task)),
        "joint": None
        if signing
        else _joint_panel(db, task, detail.form.schema, file_refs(case.number, detail.attachments)),
        # 退回, recall, 挂起/恢复, 延期: the same rules the step path applies (procedure_choices.py).
        "procedures": task_choices(db, user, task, case, may_complete=allowed.complete),
        "suspension_reason": suspension_reason,
        # 加签: the ask form, the opinions asked and answers (services/consultation_view.py).
        "consultation": consultation_panel(
            db, user, task, case, may_complete=allowed.complete, sla=tasks.task_sla
        ),
    }
    if context["can_reassign"]:
        context.update(_reassign_choices(db, task))
    return context


def _reassign_choices(db: Any, task: HumanTask) -> dict[str, Any]:
    """Whom a supervisor may reassign the task to: the group's active members, or another group."""
    members = db.execute(
        select(User.username, User.display_name)
        .join(Membership, Membership.user_id == User.id)
        .join(Group, Group.id == Membership.group_id)
        .where(Group.slug == task.candidate_group, User.is_active.is_(True))
        .order_by(User.username)
    )
    return {"members": list(members), "groups": list(db.scalars(select(Group).order_by(Group.id)))}


def _joint_panel(
    db: Any, task: HumanTask, schema: dict[str, Any] | None, files: dict[str, form_display.FileRef]
) -> dict[str, Any] | None:
    """The joint-review panel (templates/task_joint_review.html): each agency of the round with
    its state, due date, reviewer and opinion laid out by the shared review form."""
    found = joint_review.joint_review(db, task, tasks.task_sla)
    if found is None:
        return None
    return {
        "review": found,
        "pending_names": [group_name(a.group) for a in found.pending],
        "opinions": {a.task_id: form_display.data_rows(a.opinion, schema, files) for a in found.decided},
    }


def render_task(context: dict[str, Any], status: int = 200) -> ResponseReturnValue:
    user = current_user()
    assert user is not None
    context.setdefault("similar", _similar_panel(user, context))
    return render_template("task.html", inbox_args=request_inbox_args(user), **context), status


def _similar_panel(user: User, context: dict[str, Any]) -> dict[str, Any] | None:
    """A triage: the open cases like this one, each merged with one click (services/similar_cases.py)."""
    task, case = context["task"], context["case"]
    rule = similar_cases.merge_rule(context["version"], task) if context["can_complete"] else None
    if rule is None or not context["is_open"]:
        return None
    return {"rule": rule, "hits": similar_cases.similar_open_cases(common.session(), user, case, rule)}


@bp.route("/tasks/<int:task_id>")
@login_required
def task_page(task_id: int) -> ResponseReturnValue:
    """The task: the case laid out for reading, its timeline, and the task's form."""
    user = current_user()
    assert user is not None
    return render_task(task_context(user, task_id))


def _back_to_task(task_id: int) -> ResponseReturnValue:
    user = current_user()
    assert user is not None
    return redirect(url_for("inbox.task_page", task_id=task_id, **request_inbox_args(user)))


def _refused(task_id: int, err: PermitFlowError) -> ResponseReturnValue:
    """Show a refused action on the task page (nothing was committed)."""
    common.rollback()
    if isinstance(err, Forbidden | NotFound | NotAuthenticated):
        raise err
    flash(message_for(err), "error")
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
        return redirect(url_for("inbox.inbox", **request_inbox_args(user)))
    return _back_to_task(task_id)


@bp.route("/tasks/<int:task_id>/complete", methods=["POST"])
@login_required
def complete(task_id: int) -> ResponseReturnValue:
    """Complete the task with the posted form, then open the next task of the same inbox."""
    user = current_user()
    assert user is not None
    db = common.session()
    context = task_context(user, task_id)
    data = schema_form.read_submission(context["fields"], request.form)
    task: HumanTask = context["task"]
    name = pick(task)
    key = _sort_key(task, inbox_query(request.args, user).sort)
    action = (request.form.get("action") or "")[:200]
    if action.startswith(ADD_ROW):
        return _again(user, task_id, with_row(context["form_schema"], data, action[len(ADD_ROW) :]))
    try:
        _attach_posted_files(user, context, data)
        if request.form.get("confirm_grant") != "1":  # a grant: confirm its certificate first
            preview = grant_preview(db, user, task_id, data)
            if preview is not None:
                common.rollback()
                context.update(grant=preview, posted=list(request.form.items(multi=True)))
                return render_task(context)
        case = tasks.complete_task(db, user, task_id, data)
        number = case.number
        common.commit()
    except InvalidData as err:
        common.rollback()
        return _again(user, task_id, data, err)
    except (Conflict, CaseInError) as err:
        common.rollback()
        context = task_context(user, task_id)
        context.update(values=request.form, problem=message_for(err))
        return render_task(context, err.status)
    flash(gettext("Completed “%(name)s” for case %(number)s.", name=name, number=number), "success")
    return _next_task(user, key)


def _again(
    user: User, task_id: int, data: dict[str, Any], err: InvalidData | None = None
) -> ResponseReturnValue:
    """The task page again with what was posted (rows as read), and the errors at their fields."""
    context = task_context(user, task_id)
    fields = schema_form.build_fields(context["form_schema"], data=data)
    context.update(fields=fields, values=schema_form.form_values(fields, data))
    if err is None:
        return render_task(context)
    placed, general = schema_form.place_errors(fields, err.errors)
    if request.files:
        general.append(gettext("Nothing was saved: choose the files again."))
    context.update(
        errors=placed,
        first_error=schema_form.first_error(fields, placed),
        general_errors=general,
        problem=gettext("Please correct the marked fields. Nothing was saved yet."),
    )
    return render_task(context, 422)


def _attach_posted_files(user: User, context: dict[str, Any], data: dict[str, Any]) -> None:
    """Store the files chosen in the form's attachment inputs on the case and name them in
    ``data``; a refused file raises InvalidData at the value it fills (nothing is kept)."""
    schema = context["form_schema"] or {}
    chosen = schema_form.posted_files(context["fields"], request.form, request.files)
    for path, upload in chosen.items():
        kind = staff_start.attachment_kind(schema, path) or ""
        try:
            if not context["can_complete"]:
                raise Forbidden("only who may complete this task may add its files")
            item = attachments.add_answer_file(
                common.session(),
                user,
                context["case"],
                content=uploads.read(upload),
                filename=upload.filename,
                kind=kind,
                max_bytes=common.settings().max_upload_bytes,
            )
        except (InvalidData, TooLarge, UnsupportedType) as err:
            raise InvalidData(err.message, {path: err.errors.get("file", [err.message])}) from err
        staff_start.put_value(data, path, item.uid)


def _sort_key(task: HumanTask, sort: tasks.InboxSort) -> tuple[Any, ...]:
    value = task.created_at if sort == tasks.InboxSort.CREATED_AT else task.due_at
    return (value is None, value.timestamp() if value else 0.0, task.id)


def _next_task(user: User, after: tuple[Any, ...]) -> ResponseReturnValue:
    """The task that followed the completed one in the same inbox order (or the first one)."""
    query = inbox_query(request.args, user)
    args = query_args(query, page=1)
    page = tasks.list_inbox(common.session(), user, replace(query, page=1, per_page=tasks.MAX_PER_PAGE))
    if not page.items:
        flash(gettext("Your inbox is clear."), "info")
        return redirect(url_for("inbox.inbox", **args))
    following = [t for t in page.items if _sort_key(t, query.sort) > after]
    target = (following or page.items)[0]
    return redirect(url_for("inbox.task_page", task_id=target.id, **args))
