"""What the applicant (and the complainant) does on a case's status page: rate the answer to a
complaint, answer a correction request, add a document; and downloading a case's document."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from app.downloads import download_response
from app.errors import Conflict, InvalidData, NotFound, TooLarge, UnsupportedType
from app.models import Case, User
from app.services import attachments, cases, complaints, tasks
from app.services.case_access import case_access

from . import common, schema_form, uploads
from .auth import current_user, login_required
from .track import bp, lookup_page
from .track_access import clean, viewable
from .track_status import attachment_choices, rating_form, render_status


@bp.route("/track/<number>/rating", methods=["POST"])
def rate_answer(number: str) -> ResponseReturnValue:
    """The complainant rates the answer to the complaint."""
    number = clean(number, 40).upper()
    found = viewable(number)
    if found is None:
        return lookup_page(number)
    case, user = found
    rating = rating_form(case, user)
    if rating is None:
        flash(gettext("This complaint is not waiting for your rating. Nothing was saved."), "error")
        return redirect(url_for("track.track_case", number=case.number))
    data = schema_form.read_submission(rating["fields"], request.form)
    try:
        complaints.rate(common.session(), case, user if case.applicant_id is not None else None, data)
        common.commit()
    except InvalidData as err:
        common.rollback()
        placed, _general = schema_form.place_errors(rating["fields"], err.errors)
        return render_status(case, user, status=422, rating_values=request.form, rating_errors=placed)
    except Conflict:
        common.rollback()
        flash(gettext("This complaint is not waiting for your rating. Nothing was saved."), "error")
        return redirect(url_for("track.track_case", number=case.number))
    flash(gettext("Thank you for rating the answer."), "success")
    return redirect(url_for("track.track_case", number=case.number))


def _own_case(number: str) -> tuple[Case, User]:
    """The case of the logged-in applicant (anyone else: the same 404 as an unknown case)."""
    user = current_user()
    assert user is not None
    case = cases.find_case(common.session(), clean(number, 40).upper())
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
        return redirect(url_for("track.track_case", number=case.number))
    detail = tasks.task_detail(db, user, task_id)
    fields = schema_form.build_fields(detail.form.schema)
    attachment_choices(fields, attachments.case_attachments(db, case))
    data = schema_form.read_submission(fields, request.form)
    try:
        tasks.complete_task(db, user, task_id, data)
        common.commit()
    except InvalidData as err:
        common.rollback()
        placed, general = schema_form.place_errors(fields, err.errors)
        return render_status(
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
        return redirect(url_for("track.track_case", number=case.number))
    flash(gettext("Thank you: your answer was sent. The review continues."), "success")
    return redirect(url_for("track.track_case", number=case.number))


@bp.route("/track/<number>/attachments", methods=["POST"])
@login_required
def upload_attachment(number: str) -> ResponseReturnValue:
    """The applicant (or staff) adds a document to the case; it is checked by its content."""
    user = current_user()
    assert user is not None
    case, _with_data = cases.case_for_viewer(common.session(), clean(number, 40).upper(), user, None)
    upload = request.files.get("file")
    settings = common.settings()
    try:
        attachment = attachments.add_attachment(
            common.session(),
            user,
            case.number,
            content=uploads.read(upload),
            filename=upload.filename if upload else None,
            kind=clean(request.form.get("kind"), 64),
            max_bytes=settings.max_upload_bytes,
        )
        common.commit()
    except (TooLarge, UnsupportedType, InvalidData, Conflict) as err:
        common.rollback()
        return render_status(case, user, status=err.status, upload_error=uploads.message(err))
    flash(gettext("“%(name)s” was uploaded.", name=attachment.filename), "success")
    return redirect(url_for("track.track_case", number=case.number) + "#h-documents")


@bp.route("/track/<number>/attachments/<uid>")
@login_required
def download_attachment(number: str, uid: str) -> ResponseReturnValue:
    """A document of the case, for its applicant and staff only."""
    user = current_user()
    assert user is not None
    stored = attachments.attachment_for_download(common.session(), user, clean(number, 40).upper(), uid)
    return download_response(stored, inline=request.args.get("preview") == "1")
