"""Complaints without an account: `/complaints/new` and the one-time ticket page.

The form comes from the complaint process's start form (its JSON Schema); evidence photos are
checked by content and size in services.complaints. Submissions without an account share the
API's per-address budget; an applicant logged in has a budget of the same size for the account.
A logged-in applicant chooses whether the complaint is filed in the account's name (it is then
listed under My cases) or anonymously (no link to the account is stored). The number and query
code are shown once, on `/complaints/filed` (taken out of the session as it renders); this browser
may then follow the complaint on its status page, where the complainant also rates the answer.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from app.errors import InvalidData, TooLarge, TooManyRequests, UnsupportedType
from app.limits import client_address, submit_limiter
from app.models import User
from app.services import complaints, drafts
from app.services.rate_limit import ACCOUNT_SUBMIT_REFUSED, SUBMIT_REFUSED, account_key

from . import common, schema_form, uploads
from .auth import current_user
from .track_access import grant

bp = Blueprint("complaints", __name__)

FILED = "complaint_filed"  # session key: the ticket to show once
ANONYMOUS = "anonymous"  # form field: a logged-in applicant files without linking the account


def _process() -> str:
    """The complaint process chosen by `?process=` (default: the first the BPMN declares)."""
    return complaints.complaint_process(common.session(), request.args.get("process", "")[:64] or None)


def _fields() -> list[schema_form.Field]:
    schema = drafts.start_schema(common.session(), _process())
    return [f for f in schema_form.build_fields(schema) if f.path != complaints.EVIDENCE]


def _render(
    *,
    status: int = 200,
    values: Any = None,
    errors: dict[str, list[str]] | None = None,
    photo_errors: list[str] | None = None,
    general: list[str] | None = None,
) -> tuple[str, int]:
    fields = _fields()
    errors = errors or {}
    labels = schema_form.labels(fields)
    summary = [
        {"href": "#" + schema_form.Field(path, "text", "").dom_id, "label": labels.get(path, path), "text": t}
        for path, texts in errors.items()
        for t in texts
    ] + [{"href": "#photos", "label": gettext("Photos"), "text": t} for t in photo_errors or []]
    return render_template(
        "complaint_new.html",
        fields=fields,
        values=values or {},
        errors=errors,
        focus=schema_form.first_error(fields, errors),
        photo_errors=photo_errors or [],
        general=general or [],
        summary=summary,
        max_upload_mb=uploads.max_mb(),
        max_photos=complaints.MAX_PHOTOS,
        account=_applicant(),
        form_action=url_for("complaints.complaint_new", process=request.args.get("process") or None),
        anonymous=bool((values or {}).get(ANONYMOUS)),
    ), status


def _applicant() -> User | None:
    """The logged-in applicant who may file in the account's name; staff file as anyone does."""
    user = current_user()
    return user if user is not None and not user.is_staff else None


def _too_many(err: TooManyRequests, *, account: bool) -> ResponseReturnValue:
    minutes = max(1, -(-err.retry_after // 60))
    if account:
        message = gettext(
            "Too many complaints were filed from your account. Please try again in %(num)d minutes, "
            "or call the bureau's hotline.",
            num=minutes,
        )
    else:
        message = gettext(
            "Too many complaints were filed from your network. Please try again in %(num)d minutes, "
            "or call the bureau's hotline.",
            num=minutes,
        )
    html, _status = _render(values=request.form, general=[message])
    return html, 429, {"Retry-After": str(err.retry_after)}


@bp.route("/complaints/new", methods=["GET", "POST"])
def complaint_new() -> ResponseReturnValue:
    """File a complaint (no account needed)."""
    if request.method == "GET":
        return _render()
    account = _applicant()
    try:
        # An account's complaints count against the account even when filed anonymously.
        if account is not None:
            submit_limiter().take(account_key(account.id), ACCOUNT_SUBMIT_REFUSED)
        else:
            submit_limiter().take(client_address(), SUBMIT_REFUSED)
    except TooManyRequests as err:
        return _too_many(err, account=account is not None)
    user = None if request.form.get(ANONYMOUS) else account
    fields = _fields()
    data = schema_form.read_submission(fields, request.form)
    photos = [
        complaints.Upload(uploads.read(f), f.filename)
        for f in request.files.getlist("photos")
        if uploads.chosen(f)
    ]
    settings = common.settings()
    try:
        started = complaints.file_complaint(
            common.session(),
            user,
            data,
            photos,
            max_bytes=settings.max_upload_bytes,
            process=_process(),
        )
        common.commit()
    except (TooLarge, UnsupportedType) as err:
        common.rollback()
        return _render(status=err.status, values=request.form, photo_errors=[uploads.photo_message(err)])
    except InvalidData as err:
        common.rollback()
        photo_keys = [k for k in err.errors if k.split(".")[0] == complaints.EVIDENCE]
        rest = {k: v for k, v in err.errors.items() if k not in photo_keys}
        placed, general = schema_form.place_errors(fields, rest)
        photo_errors = [uploads.photo_message(err)] if photo_keys else []
        return _render(
            status=422, values=request.form, errors=placed, photo_errors=photo_errors, general=general
        )
    number = started.case.number
    grant(started.case)
    session[FILED] = {"number": number, "code": started.query_code}
    return redirect(url_for("complaints.complaint_filed"))


@bp.route("/complaints/filed")
def complaint_filed() -> ResponseReturnValue:
    """The ticket: number and query code, shown this once."""
    ticket = session.pop(FILED, None)
    if not isinstance(ticket, dict):
        return redirect(url_for("track.track"))
    return render_template("complaint_filed.html", number=ticket["number"], code=ticket["code"])
