"""The administrative procedures as page actions: on the status page the applicant withdraws (撤回),
rates the service (好差评) and urges (催办); on the task page staff return (退回), recall, suspend
(挂起) and resume (恢复) the clock, ask for an extension (延期) and ask colleagues for opinions (加签).

Each view parses the form, calls one service (which goes through the step path), commits once and
goes back to its page with a message in the page's language; a refusal changes nothing.
"""

from __future__ import annotations

from flask import flash, make_response, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext

from app.errors import Conflict, Forbidden, InvalidData, NotFound, PermitFlowError, TooManyRequests
from app.models import Case, HumanTask, User
from app.services import case_procedures, cases, refusal_decision, tasks
from app.services import refusal_pdf as refusal_pdf_file
from app.services.case_access import case_access

from . import common
from .auth import current_user, login_required
from .display import localtime
from .inbox import bp as inbox_bp
from .inbox import request_inbox_args
from .task_pages import render_task, task_context
from .track import bp as track_bp
from .track_access import clean
from .track_status import render_status

TEXT_LIMIT = 2000


def _refusal(action: str, err: PermitFlowError) -> str:
    """Why ``action`` was refused, in the page's language (the service's reason is English)."""
    if isinstance(err, InvalidData):
        fields = ", ".join(sorted(err.errors)) or ""
        if "reason" in err.errors or "note" in err.errors:
            return gettext("Please give a reason. Nothing was changed.")
        if "working_days" in err.errors:
            return gettext(
                "Enter a whole number of working days within the allowed maximum. Nothing was changed."
            )
        if "level" in err.errors:
            return gettext("Choose one of the five levels. Nothing was saved.")
        if "reason_code" in err.errors:
            return gettext("Choose one of the listed reasons. Nothing was changed.")
        if {"users", "groups", "question", "time_limit"} & set(err.errors):
            return gettext(
                "Name at least one colleague or group, write the question and give a time limit "
                "such as 2wd. Nothing was changed."
            )
        return gettext(
            "Some of the information is not valid (%(fields)s). Nothing was changed.", fields=fields
        )
    if isinstance(err, TooManyRequests):
        return gettext("You already urged this case today: once per working day. Nothing was sent.")
    messages = {
        "withdraw": gettext("This case can no longer be withdrawn: it was decided or withdrawn already."),
        "rate": gettext("This case cannot be rated: it is not finished, or it was rated already."),
        "urge": gettext("Urging is possible once a step of the case is past its warning time."),
        "return": gettext("The case cannot be returned to this step. Nothing was changed."),
        "recall": gettext(
            "The completion can no longer be recalled: the next step was already taken up. "
            "Nothing was changed."
        ),
        "suspend": gettext(
            "The clock cannot be suspended: the case is suspended already or not in progress."
        ),
        "resume": gettext("The clock cannot be resumed: the case is not suspended."),
        "extension": gettext("An extension was already asked for this case: only one per case."),
        "consult": gettext(
            "The opinions could not be asked for: name colleagues or groups and a question. "
            "Nothing was changed."
        ),
        "consult_withdraw": gettext("No opinion asked from this task is waiting. Nothing was changed."),
    }
    return messages.get(action, gettext("The request could not be carried out. Nothing was changed."))


def _user() -> User:
    user = current_user()
    assert user is not None
    return user


def _form_text(name: str) -> str:
    return clean(request.form.get(name), TEXT_LIMIT)


def _status_page(case: Case | str) -> ResponseReturnValue:
    number = case if isinstance(case, str) else case.number
    return redirect(url_for("track.track_case", number=number))


def _refused_on_status(number: str, action: str, err: PermitFlowError) -> ResponseReturnValue:
    """The status page again with the refusal in words, answered with the error's 4xx."""
    common.rollback()
    if isinstance(err, Forbidden | NotFound):
        raise err
    user = current_user()
    case = cases.find_case(common.session(), number)
    return render_status(case, user, status=err.status, procedure_error=_refusal(action, err))


def _refused_on_task(task_id: int, action: str, err: PermitFlowError) -> ResponseReturnValue:
    """The task page again with the refusal in words, answered with the error's 4xx."""
    common.rollback()
    if isinstance(err, Forbidden | NotFound):
        raise err
    context = task_context(_user(), task_id)
    context.update(problem=_refusal(action, err))
    return render_task(context, err.status)


@track_bp.route("/track/<number>/withdraw", methods=["POST"])
@login_required
def withdraw(number: str) -> ResponseReturnValue:
    """撤回: the applicant withdraws a case not yet decided."""
    number = clean(number, 40).upper()
    try:
        case_procedures.withdraw_case(common.session(), _user(), number, _form_text("reason"))
        common.commit()
    except (Conflict, InvalidData) as err:
        return _refused_on_status(number, "withdraw", err)
    flash(gettext("The application was withdrawn."), "success")
    return _status_page(number)


@track_bp.route("/track/<number>/service-rating", methods=["POST"])
@login_required
def rate_service(number: str) -> ResponseReturnValue:
    """好差评: the applicant rates the finished case once."""
    number = clean(number, 40).upper()
    raw = clean(request.form.get("level"), 2)
    level = int(raw) if raw.isdigit() else 0
    try:
        case_procedures.rate_case(common.session(), _user(), number, level, _form_text("comment")[:500])
        common.commit()
    except (Conflict, InvalidData) as err:
        return _refused_on_status(number, "rate", err)
    flash(gettext("Thank you for rating the service."), "success")
    return _status_page(number)


@track_bp.route("/track/<number>/urge", methods=["POST"])
@login_required
def urge(number: str) -> ResponseReturnValue:
    """催办: the applicant nudges a step past its warning time."""
    number = clean(number, 40).upper()
    try:
        case_procedures.urge_case(common.session(), _user(), number)
        common.commit()
    except (Conflict, TooManyRequests) as err:
        return _refused_on_status(number, "urge", err)
    flash(gettext("The bureau was reminded of your case."), "success")
    return _status_page(number)


def _back_to_task(task_id: int) -> ResponseReturnValue:
    return redirect(url_for("inbox.task_page", task_id=task_id, **request_inbox_args(_user())))


def _case_of_task(user: User, task_id: int) -> tuple[HumanTask, Case]:
    """The task (the viewer may see it, else 403/404) and its case."""
    detail = tasks.task_detail(common.session(), user, task_id)
    return detail.task, detail.case


@inbox_bp.route("/tasks/<int:task_id>/return", methods=["POST"])
@login_required
def return_task(task_id: int) -> ResponseReturnValue:
    """退回: send the case back to an earlier step the task declares returnable."""
    user = _user()
    to = clean(request.form.get("to"), 200)
    try:
        outcome = case_procedures.return_task(common.session(), user, task_id, to, _form_text("reason"))
        common.commit()
    except (Conflict, InvalidData) as err:
        return _refused_on_task(task_id, "return", err)
    name = outcome.task.name if outcome.task else to
    flash(gettext("The case was returned to “%(name)s”.", name=name), "success")
    return redirect(url_for("inbox.inbox", **request_inbox_args(user)))


@inbox_bp.route("/tasks/<int:task_id>/recall", methods=["POST"])
@login_required
def recall_task(task_id: int) -> ResponseReturnValue:
    """Take back one's own completion while the next step is untouched; the task reopens."""
    try:
        outcome = case_procedures.recall_task(common.session(), _user(), task_id)
        common.commit()
    except Conflict as err:
        return _refused_on_task(task_id, "recall", err)
    flash(gettext("Your completion was recalled: the task is open again."), "success")
    return _back_to_task(outcome.task.id if outcome.task else task_id)


@inbox_bp.route("/tasks/<int:task_id>/suspend", methods=["POST"])
@login_required
def suspend_case(task_id: int) -> ResponseReturnValue:
    """挂起 the case of the task for an excluded period."""
    user = _user()
    _task, case = _case_of_task(user, task_id)
    code = clean(request.form.get("reason_code"), 64)
    try:
        case_procedures.suspend_case(common.session(), user, case.number, code, _form_text("note"))
        common.commit()
    except (Conflict, InvalidData) as err:
        return _refused_on_task(task_id, "suspend", err)
    flash(gettext("The statutory clock is suspended; the applicant was told."), "success")
    return _back_to_task(task_id)


@inbox_bp.route("/tasks/<int:task_id>/resume", methods=["POST"])
@login_required
def resume_case(task_id: int) -> ResponseReturnValue:
    """恢复: the clock runs again; the due date moved by the working days it stood."""
    user = _user()
    _task, case = _case_of_task(user, task_id)
    try:
        resumed = case_procedures.resume_case(common.session(), user, case.number, _form_text("note"))
        common.commit()
    except (Conflict, InvalidData) as err:
        return _refused_on_task(task_id, "resume", err)
    due = localtime(resumed.due_at, "yyyy-MM-dd") or "—"
    flash(gettext("The statutory clock runs again. The case is now due by %(date)s.", date=due), "success")
    return _back_to_task(task_id)


@inbox_bp.route("/tasks/<int:task_id>/extension", methods=["POST"])
@login_required
def request_extension(task_id: int) -> ResponseReturnValue:
    """延期: ask the group's supervisor for more working days (once per case)."""
    user = _user()
    _task, case = _case_of_task(user, task_id)
    raw = clean(request.form.get("working_days"), 4)
    days = int(raw) if raw.isdigit() else 0
    try:
        case_procedures.request_extension(common.session(), user, case.number, days, _form_text("reason"))
        common.commit()
    except (Conflict, InvalidData) as err:
        return _refused_on_task(task_id, "extension", err)
    flash(gettext("The extension was asked for; the group's supervisor decides."), "success")
    return _back_to_task(task_id)


@inbox_bp.route("/tasks/<int:task_id>/consult", methods=["POST"])
@login_required
def consult(task_id: int) -> ResponseReturnValue:
    """加签: ask colleagues or groups for an opinion before deciding."""
    users = [clean(u, 64) for u in request.form.getlist("users")][:20]
    groups = [clean(g, 64) for g in request.form.getlist("groups")][:20]
    try:
        outcome = case_procedures.consult(
            common.session(),
            _user(),
            task_id,
            _form_text("question"),
            users=users,
            groups=groups,
            time_limit=clean(request.form.get("time_limit"), 20) or None,
        )
        common.commit()
    except (Conflict, InvalidData) as err:
        return _refused_on_task(task_id, "consult", err)
    flash(
        ngettext("%(num)d opinion was asked for.", "%(num)d opinions were asked for.", len(outcome.opened)),
        "success",
    )
    return _back_to_task(task_id)


@inbox_bp.route("/tasks/<int:task_id>/consult/withdraw", methods=["POST"])
@login_required
def withdraw_consultation(task_id: int) -> ResponseReturnValue:
    """Withdraw the unanswered opinions; the task may then be decided."""
    try:
        case_procedures.withdraw_consultation(common.session(), _user(), task_id)
        common.commit()
    except Conflict as err:
        return _refused_on_task(task_id, "consult_withdraw", err)
    flash(gettext("The unanswered requests were withdrawn; you may decide now."), "success")
    return _back_to_task(task_id)


@track_bp.route("/track/<number>/refusal.pdf")
@login_required
def refusal_pdf(number: str) -> ResponseReturnValue:
    """The 不予许可决定书 of a refused case, for its applicant and staff."""
    db = common.session()
    case, _with_data = cases.case_for_viewer(db, clean(number, 40).upper(), _user(), None)
    access = case_access(case, _user())
    decision = refusal_decision.refusal_of(db, case) if (access.applicant or access.staff) else None
    if decision is None:
        raise NotFound("this case has no refusal decision")
    response = make_response(refusal_pdf_file.render(decision))
    response.headers["Content-Type"] = "application/pdf"
    disposition = "inline" if request.args.get("preview") == "1" else "attachment"
    response.headers["Content-Disposition"] = (
        f'{disposition}; filename="{refusal_pdf_file.pdf_filename(decision)}"'
    )
    return response
