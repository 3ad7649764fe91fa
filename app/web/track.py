"""The case status page: `/track` (lookup by number and query code) and `/track/<number>`.

The applicant of a case (logged in) and staff open it directly. Anyone else proves the query code
once, by the lookup form (POST) or a `?code=` link; the page then remembers the case in the
session and drops the code from the address, so codes do not linger in histories and logs.
Unknown numbers and wrong codes give the same answer. Only the logged-in applicant of the case
sees its correction requests' details, answers them and uploads documents; everyone else sees
the status, with personal data masked.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext

from app.downloads import download_response
from app.errors import (
    Conflict,
    InvalidData,
    NotFound,
    TooLarge,
    TooManyRequests,
    UnsupportedType,
)
from app.limits import client_address, lookup_limiter
from app.models import Attachment, Case, User
from app.services import attachments, cases, complaints, processes, tasks
from app.services.case_access import case_access
from app.services.case_view import CaseView, CorrectionRequest
from app.services.credit_code import mask_credit_code, mask_phone
from app.services.rate_limit import LOOKUP_REFUSED

from . import common, schema_form, uploads
from .auth import current_user, login_required
from .i18n import current_language, pick
from .views import bp, group_name

GRANTS = "tracked"  # session key: case numbers whose query code this browser has proved
MAX_GRANTS = 20
ATTACHMENTS_KEY = attachments.REFERENCES  # a form's object of typed attachments: kind -> id


def _clean(text: str | None, limit: int) -> str:
    return (text or "").replace("\x00", "").strip()[:limit]


def granted(number: str) -> bool:
    return number in (session.get(GRANTS) or [])


def grant(number: str) -> None:
    numbers = [n for n in (session.get(GRANTS) or []) if n != number]
    session[GRANTS] = (numbers + [number])[-MAX_GRANTS:]


def _not_found_message() -> str:
    return gettext("No case matches this number and query code. Check both and try again.")


def _lookup_page(number: str = "", error: str | None = None, status: int = 200) -> ResponseReturnValue:
    return render_template("track_lookup.html", number=number, error=error), status


def _check_code(number: str, code: str) -> Case | None:
    """The case if ``code`` is its query code; None for a wrong code or an unknown number alike.

    Wrong codes are counted per address; past the limit this raises TooManyRequests for every
    code, the right one included, until the window ends (so a guesser learns nothing)."""
    limiter = lookup_limiter()
    limiter.check(client_address(), LOOKUP_REFUSED)
    try:
        case, _with_data = cases.case_for_viewer(common.session(), number, None, code)
    except NotFound:
        limiter.hit(client_address())
        return None
    return case


def _too_many(number: str, err: TooManyRequests) -> ResponseReturnValue:
    minutes = max(1, -(-err.retry_after // 60))
    message = ngettext(
        "Too many wrong query codes were entered from your network. For your security, lookups are "
        "paused for %(num)d minute; after that the right code works again.",
        "Too many wrong query codes were entered from your network. For your security, lookups are "
        "paused for %(num)d minutes; after that the right code works again.",
        minutes,
    )
    html = render_template("track_lookup.html", number=number, error=message)
    return html, 429, {"Retry-After": str(err.retry_after)}


@bp.route("/track", methods=["GET", "POST"])
def track() -> ResponseReturnValue:
    """The lookup form; posting a number and its query code opens the case's status page."""
    if request.method == "GET":
        return _lookup_page(_clean(request.args.get("number"), 40))
    number = _clean(request.form.get("number"), 40).upper()
    code = _clean(request.form.get("code"), 40).upper()
    if not number or not code:
        return _lookup_page(number, gettext("Enter the case number and its query code."), 400)
    try:
        found = _check_code(number, code)
    except TooManyRequests as err:
        return _too_many(number, err)
    if found is None:
        return _lookup_page(number, _not_found_message(), 404)
    grant(number)
    return redirect(url_for("web.track_case", number=number))


def _viewable(number: str) -> tuple[Case, User | None] | None:
    """The case if this browser may see it (applicant, staff, or a proved query code)."""
    user = current_user()
    if user is not None:
        try:
            case, _with_data = cases.case_for_viewer(common.session(), number, user, None)
            return case, user
        except NotFound:
            pass
    if granted(number):
        try:
            return cases.find_case(common.session(), number), user
        except NotFound:
            return None
    return None


@bp.route("/track/<number>")
def track_case(number: str) -> ResponseReturnValue:
    """The status page of one case."""
    number = _clean(number, 40).upper()
    code = _clean(request.args.get("code"), 40).upper()
    if code:
        try:
            found_by_code = _check_code(number, code)
        except TooManyRequests as err:
            return _too_many(number, err)
        if found_by_code is None:
            return _lookup_page(number, _not_found_message(), 404)
        grant(number)
        return redirect(url_for("web.track_case", number=number))
    found = _viewable(number)
    if found is None:
        return _lookup_page(number)
    case, user = found
    return _render_status(case, user)


# ---------------------------------------------------------------- what the page shows


def _limit_days(limit: str | None) -> int | None:
    match = re.fullmatch(r"(\d+)wd", limit or "")
    return int(match.group(1)) if match else None


def _pauses(view: CaseView) -> list[dict[str, Any]]:
    """The clock stops, each with its reason (the name of the step that stopped it) in the page's
    language."""
    return [{"from": p.started_at, "to": p.ended_at, "reason": pick(p, "reason")} for p in view.clock.pauses]


def _holder(case: Case) -> dict[str, Any] | None:
    """Who applied, as public pages may show it: companies by name, codes and phones masked."""
    if case.applicant_id is None:
        return None
    applicant = common.session().get(User, case.applicant_id)
    if applicant is None or not applicant.company_name:
        return None
    return {
        "name": applicant.company_name,
        "credit_code": mask_credit_code(applicant.credit_code),
        "phone": mask_phone(applicant.phone),
    }


def _attachment_kinds(schema: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The typed attachments a form asks for: (kind, title) from its `attachments` object."""
    props = ((schema or {}).get("properties") or {}).get(ATTACHMENTS_KEY) or {}
    return [(kind, pick(sub, "title") or kind) for kind, sub in (props.get("properties") or {}).items()]


def _attachment_choices(fields: list[schema_form.Field], uploaded: list[Attachment]) -> None:
    """Turn the form's attachment-id inputs into choices among the files uploaded to the case."""
    for group in fields:
        if group.kind != "group" or group.path != ATTACHMENTS_KEY:
            continue
        # One note for the whole group (the schema's own description speaks of ids, not files).
        group.help = gettext("Upload the files under “Documents” below first, then choose each one here.")
        for child in group.children:
            kind = child.path.rsplit(".", 1)[-1]
            files = [a for a in uploaded if a.kind == kind] or list(uploaded)
            child.kind = "select"
            child.help = ""
            child.options = [(a.uid, f"{a.filename} · {a.created_at:%Y-%m-%d}") for a in reversed(files)]
            child.values = {a.uid: a.uid for a in files}


def _request_forms(case: Case, user: User, requests: list[CorrectionRequest]) -> list[dict[str, Any]]:
    """Each open correction request with the form that answers it (from its JSON Schema)."""
    db = common.session()
    uploaded = attachments.case_attachments(db, case)
    out = []
    for item in requests:
        detail = tasks.task_detail(db, user, item.task_id)
        fields = schema_form.build_fields(detail.form.schema)
        _attachment_choices(fields, uploaded)
        out.append(
            {
                **asdict(item),
                "fields": fields,
                "schema": detail.form.schema,
                "kinds": _attachment_kinds(detail.form.schema),
                "labels": schema_form.labels(fields),
            }
        )
    return out


def _render_status(
    case: Case,
    user: User | None,
    *,
    status: int = 200,
    answering: int | None = None,
    values: Any = None,
    errors: dict[str, list[str]] | None = None,
    general_errors: list[str] | None = None,
    upload_error: str | None = None,
    rating_values: Any = None,
    rating_errors: dict[str, list[str]] | None = None,
) -> ResponseReturnValue:
    db = common.session()
    view = cases.public_view(db, case, with_data=False)
    rating = _rating_form(case, user)
    if case.process_key == complaints.PROCESS:
        # The complainant's one task is the rating, shown as such (not as a correction request).
        view = view.without_requests()
    version = processes.version_by_id(db, case.process_version_id)
    access = case_access(case, user)
    is_applicant, can_upload = access.applicant, access.upload
    requests = _request_forms(case, user, view.requests) if is_applicant and user else []
    kinds: list[tuple[str, str]] = []
    for item in requests:
        kinds += [k for k in item["kinds"] if k not in kinds]
    if not kinds:
        start_form = processes.form_schema(version, (version.meta.get("start") or {}).get("form"))
        kinds = _attachment_kinds(start_form)
    context = {
        "case": case,
        "view": view,
        "version": version,
        "is_applicant": is_applicant,
        "is_staff": access.staff,
        "holder": _holder(case),
        "limit_days": _limit_days(view.clock.limit),
        "pauses": _pauses(view),
        "requests": requests,
        "answering": answering,
        "values": values or {},
        "errors": errors or {},
        "general_errors": general_errors or [],
        "attachments": attachments.case_attachments(db, case) if (is_applicant or can_upload) else [],
        "can_upload": can_upload,
        "upload_kinds": kinds,
        "upload_error": upload_error,
        "rating": rating,
        "answer": next((step.note for step in reversed(view.timeline) if step.note), None)
        if case.process_key == complaints.PROCESS
        else None,
        "rating_values": rating_values or {},
        "rating_errors": rating_errors or {},
        "max_upload_mb": max(1, common.settings().max_upload_bytes // (1024 * 1024)),
        "kind_titles": {**dict(kinds), "other": gettext("Other document")},
        "groups_now": ("、" if current_language() != "en" else ", ").join(
            group_name(slug)
            for slug in sorted({step.group for step in view.timeline if step.state == "open" and step.group})
        ),
    }
    return render_template("track.html", **context), status


# ---------------------------------------------------------------- the applicant's actions


def _may_rate(case: Case, user: User | None) -> bool:
    """The complainant: the account that filed the complaint, or, for an anonymous complaint, this
    browser once it proved the number and query code."""
    if case.applicant_id is not None:
        return user is not None and user.id == case.applicant_id
    return granted(case.number)


def _rating_form(case: Case, user: User | None) -> dict[str, Any] | None:
    if not _may_rate(case, user):
        return None
    db = common.session()
    task = complaints.rating_task(db, case)
    if task is None:
        return None
    fields = schema_form.build_fields(complaints.rating_schema(db, task))
    return {"task": task, "fields": fields, "answer": (task.context or {}).get("note")}


@bp.route("/track/<number>/rating", methods=["POST"])
def rate_answer(number: str) -> ResponseReturnValue:
    """The complainant rates the answer to the complaint."""
    number = _clean(number, 40).upper()
    found = _viewable(number)
    if found is None:
        return _lookup_page(number)
    case, user = found
    rating = _rating_form(case, user)
    if rating is None:
        flash(gettext("This complaint is not waiting for your rating. Nothing was saved."), "error")
        return redirect(url_for("web.track_case", number=case.number))
    data = schema_form.read_submission(rating["fields"], request.form)
    try:
        complaints.rate(common.session(), case, user if case.applicant_id is not None else None, data)
        common.commit()
    except InvalidData as err:
        common.rollback()
        placed, _general = schema_form.place_errors(rating["fields"], err.errors)
        return _render_status(case, user, status=422, rating_values=request.form, rating_errors=placed)
    except Conflict:
        common.rollback()
        flash(gettext("This complaint is not waiting for your rating. Nothing was saved."), "error")
        return redirect(url_for("web.track_case", number=case.number))
    flash(gettext("Thank you for rating the answer."), "success")
    return redirect(url_for("web.track_case", number=case.number))


def _own_case(number: str) -> tuple[Case, User]:
    """The case of the logged-in applicant (anyone else: the same 404 as an unknown case)."""
    user = current_user()
    assert user is not None
    case = cases.find_case(common.session(), _clean(number, 40).upper())
    if not case_access(case, user).applicant:
        raise NotFound("no case with this number and query code")
    return case, user


@bp.route("/track/<number>/requests/<int:task_id>", methods=["POST"])
@login_required
def answer_request(number: str, task_id: int) -> ResponseReturnValue:
    """The applicant answers a correction request with the form of its task."""
    case, user = _own_case(number)
    db = common.session()
    open_ids = {r.task_id for r in cases.public_view(db, case, with_data=False).requests}
    if task_id not in open_ids:
        flash(gettext("This request was answered or withdrawn meanwhile. Nothing was saved."), "error")
        return redirect(url_for("web.track_case", number=case.number))
    detail = tasks.task_detail(db, user, task_id)
    fields = schema_form.build_fields(detail.form.schema)
    _attachment_choices(fields, attachments.case_attachments(db, case))
    data = schema_form.read_submission(fields, request.form)
    try:
        tasks.complete_task(db, user, task_id, data)
        common.commit()
    except InvalidData as err:
        common.rollback()
        placed, general = schema_form.place_errors(fields, err.errors)
        return _render_status(
            case,
            user,
            status=422,
            answering=task_id,
            values=request.form,
            errors=placed,
            general_errors=general,
        )
    except Conflict:
        common.rollback()
        flash(gettext("This request was answered or withdrawn meanwhile. Nothing was saved."), "error")
        return redirect(url_for("web.track_case", number=case.number))
    flash(gettext("Thank you: your answer was sent. The review continues."), "success")
    return redirect(url_for("web.track_case", number=case.number))


@bp.route("/track/<number>/attachments", methods=["POST"])
@login_required
def upload_attachment(number: str) -> ResponseReturnValue:
    """The applicant (or staff) adds a document to the case; it is checked by its content."""
    user = current_user()
    assert user is not None
    case, _with_data = cases.case_for_viewer(common.session(), _clean(number, 40).upper(), user, None)
    upload = request.files.get("file")
    settings = common.settings()
    try:
        attachment = attachments.add_attachment(
            common.session(),
            user,
            case.number,
            content=uploads.read(upload),
            filename=upload.filename if upload else None,
            kind=_clean(request.form.get("kind"), 64),
            root=attachments.upload_root(settings.instance_path),
            max_bytes=settings.max_upload_bytes,
        )
        common.commit()
    except (TooLarge, UnsupportedType, InvalidData, Conflict) as err:
        common.rollback()
        return _render_status(case, user, status=err.status, upload_error=uploads.message(err))
    flash(gettext("“%(name)s” was uploaded.", name=attachment.filename), "success")
    return redirect(url_for("web.track_case", number=case.number) + "#h-documents")


@bp.route("/track/<number>/attachments/<uid>")
@login_required
def download_attachment(number: str, uid: str) -> ResponseReturnValue:
    """A document of the case, for its applicant and staff only."""
    user = current_user()
    assert user is not None
    settings = common.settings()
    root = attachments.upload_root(settings.instance_path)
    stored = attachments.attachment_for_download(
        common.session(), user, _clean(number, 40).upper(), uid, root
    )
    return download_response(stored)
