"""Starting a case in the browser: `/apply/<process>` and the draft it keeps on the server.

The page is the process's start form rendered from its JSON Schema plus one upload per typed
attachment the schema declares. Everything posted is saved in the draft first (valid or not), so
nothing typed or uploaded is lost; "check" lists every missing or invalid item at once; "submit"
starts the case through services.drafts.submit (the API's start_case) and opens its status page.
One multipart form does it all without JavaScript; with it, files upload at once with a progress
bar (static/js/upload.js posting to the files endpoint).
"""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from app.errors import InvalidData, NotFound, PermitFlowError, TooLarge, UnsupportedType
from app.models import Draft, User
from app.services import drafts, processes, staff_start

from . import common, schema_form, uploads
from .applicant import bp
from .auth import current_user, login_required
from .i18n import pick

FILE_PREFIX = "file."  # a file input of the main form: file.<kind>
UPLOAD_ERRORS = (TooLarge, UnsupportedType, InvalidData)


def _applicant() -> User:
    user = current_user()
    assert user is not None
    if user.is_staff:
        raise NotFound("applications are submitted by applicants")
    return user


@bp.route("/apply/<key>", methods=["GET", "POST"])
@login_required
def apply(key: str) -> ResponseReturnValue:
    """Open the applicant's draft of this process. Only a POST (the button on My cases) creates
    one: a GET changes nothing, so a link on another site cannot make drafts."""
    user = current_user()
    assert user is not None
    if user.is_staff:
        if key[:64] in {v.key for v in staff_start.startable_by(common.session(), user)}:
            return redirect(url_for("inbox.start_page", key=key[:64]))
        flash(gettext("Applications are submitted by applicants; staff work from the inbox."), "error")
        return redirect(url_for("inbox.inbox"))
    if request.method == "GET":
        found = drafts.latest_draft(common.session(), user, key[:64])
        if found is None:
            return redirect(url_for("applicant.my_cases") + "#h-start")
        return redirect(url_for("applicant.draft_page", uid=found.uid))
    draft = drafts.open_draft(common.session(), user, key[:64])
    common.commit()
    return redirect(url_for("applicant.draft_page", uid=draft.uid))


def _fields(draft: Draft) -> tuple[dict[str, Any], list[schema_form.Field]]:
    schema = drafts.start_schema(common.session(), draft.process_key)
    fields = [f for f in schema_form.build_fields(schema) if f.path != drafts.REFERENCES]
    return schema, fields


def _prefilled(draft: Draft, fields: list[schema_form.Field], values: Any) -> dict[str, Any]:
    """The inputs' texts with the fields bound to the account filled from it: a locked one always
    shows the account's value (read-only, with why), an editable one only while it is empty."""
    shown = dict(values.items()) if hasattr(values, "items") else {}
    bound = {b.path: b for b in drafts.prefill(common.session(), draft)}
    for f in schema_form.all_fields(fields):
        found = bound.get(f.path)
        if found is None:
            continue
        f.attrs["prefill"] = "locked" if found.locked else "editable"
        if found.locked or not str(shown.get(f.path) or "").strip():
            shown[f.path] = found.value
    return shown


def _dom_id(path: str) -> str:
    return schema_form.Field(path, "text", "").dom_id


def _missing_document() -> str:
    return gettext("This document is missing: upload it.")


def _render(
    draft: Draft,
    *,
    status: int = 200,
    values: Any = None,
    errors: dict[str, list[str]] | None = None,
    file_errors: dict[str, list[str]] | None = None,
    general: list[str] | None = None,
    complete: bool = False,
) -> ResponseReturnValue:
    db = common.session()
    schema, fields = _fields(draft)
    version = processes.current_version(db, draft.process_key)
    kinds = drafts.attachment_kinds(schema)
    by_kind = {f.kind: f for f in drafts.files(db, draft)}
    errors = errors or {}
    file_errors = file_errors or {}
    labels = schema_form.labels(fields)
    summary = [
        {"href": "#" + _dom_id(path), "label": labels.get(path, path), "text": text}
        for path, texts in errors.items()
        for text in texts
    ] + [
        {"href": f"#doc-{kind.kind}", "label": pick(kind.schema, "title") or kind.kind, "text": text}
        for kind in kinds
        for text in file_errors.get(kind.kind, [])
    ]
    context = {
        "draft": draft,
        "version": version,
        "schema": schema,
        "fields": fields,
        "values": _prefilled(
            draft,
            fields,
            values if values is not None else schema_form.form_values(fields, drafts.typed_data(db, draft)),
        ),
        "errors": errors,
        "focus": schema_form.first_error(fields, errors),
        "kinds": kinds,
        "by_kind": by_kind,
        "file_errors": file_errors,
        "general": general or [],
        "summary": summary,
        "complete": complete,
        "accept": uploads.ACCEPT,
        "max_upload_mb": uploads.max_mb(),
    }
    return render_template("apply.html", **context), status


@bp.route("/apply/drafts/<uid>")
@login_required
def draft_page(uid: str) -> ResponseReturnValue:
    user = _applicant()
    draft = drafts.get_draft(common.session(), user, uid)
    return _render(draft)


def _split(err: InvalidData, fields: list[schema_form.Field]) -> tuple[dict, dict, list[str]]:
    """The check's errors: by form field, by document kind (missing or not this draft's), the rest."""
    prefix = drafts.REFERENCES + "."
    by_kind: dict[str, list[str]] = {}
    rest: dict[str, list[str]] = {}
    for key, messages in err.errors.items():
        if key.startswith(prefix):
            by_kind.setdefault(key[len(prefix) :], []).append(_missing_document())
        else:
            rest[key] = messages
    placed, general = schema_form.place_errors(fields, rest)
    return placed, by_kind, general


def _store_posted_files(draft: Draft) -> dict[str, list[str]]:
    """Store the files chosen in the main form (the page without JavaScript). All are checked before
    any is kept: one refusal keeps none, and says which file and why."""
    db = common.session()
    refused: dict[str, list[str]] = {}
    for name, upload in request.files.items(multi=True):
        if not name.startswith(FILE_PREFIX) or not uploads.chosen(upload):
            continue
        kind = name[len(FILE_PREFIX) :][:64]
        try:
            drafts.add_file(
                db,
                draft,
                content=uploads.read(upload),
                filename=upload.filename,
                kind=kind,
                max_bytes=common.settings().max_upload_bytes,
            )
        except UPLOAD_ERRORS as err:
            refused.setdefault(kind, []).append(uploads.message(err))
    return refused


@bp.route("/apply/drafts/<uid>", methods=["POST"])
@login_required
def draft_post(uid: str) -> ResponseReturnValue:
    """Save the draft; then, by the button pressed, check it, submit it or remove a file."""
    user = _applicant()
    db = common.session()
    draft = drafts.get_draft(db, user, uid, lock=True)
    _schema, fields = _fields(draft)
    action = (request.form.get("action") or "save")[:80]
    data = schema_form.read_submission(fields, request.form)
    refused = _store_posted_files(draft)
    if refused:
        # Nothing of this post is kept (the draft is as it was); the typed values stay on the page.
        common.rollback()
        draft = drafts.get_draft(db, user, uid)
        return _render(draft, status=422, values=request.form, file_errors=refused)
    if action.startswith("remove:"):
        drafts.remove_file(db, draft, action.removeprefix("remove:"))
    drafts.save(db, draft, data)
    common.commit()
    if action == "check" or action == "submit":
        return _check_or_submit(user, draft, data, fields, submit=action == "submit")
    if action == "save":
        flash(gettext("Draft saved. You can come back to it from “My cases”."), "success")
    return redirect(
        url_for("applicant.draft_page", uid=draft.uid) + ("#h-documents" if action != "save" else "")
    )


def _check_or_submit(
    user: User, draft: Draft, data: dict[str, Any], fields: list[schema_form.Field], *, submit: bool
) -> ResponseReturnValue:
    db = common.session()
    try:
        if not submit:
            drafts.check(db, draft, data)
            return _render(draft, complete=True)
        started = drafts.submit(db, user, draft, data)
        common.commit()
    except InvalidData as err:
        common.rollback()
        draft = drafts.get_draft(db, user, draft.uid)
        placed, by_kind, general = _split(err, fields)
        return _render(draft, status=422, errors=placed, file_errors=by_kind, general=general)
    except PermitFlowError:
        common.rollback()
        raise
    number = started.case.number
    flash(
        gettext(
            "Your application was submitted. Case number %(number)s, query code %(code)s: "
            "write the code down, it is shown only this once (others need it to follow the case).",
            number=number,
            code=started.query_code,
        ),
        "success",
    )
    return redirect(url_for("track.track_case", number=number))


@bp.route("/apply/drafts/<uid>/files", methods=["POST"])
@login_required
def draft_upload(uid: str) -> ResponseReturnValue:
    """One file of a kind (the page's script posts here, with a progress bar): JSON either way."""
    user = _applicant()
    db = common.session()
    draft = drafts.get_draft(db, user, uid, lock=True)
    upload = request.files.get("file")
    kind = (request.form.get("kind") or "")[:64]
    try:
        item = drafts.add_file(
            db,
            draft,
            content=uploads.read(upload),
            filename=upload.filename if upload else None,
            kind=kind,
            max_bytes=common.settings().max_upload_bytes,
        )
        common.commit()
    except UPLOAD_ERRORS as err:
        common.rollback()
        text = uploads.message(err)
        body = {"code": err.code, "status": err.status, "message": text, "errors": {"file": [text]}}
        return jsonify(body), err.status
    return jsonify(
        {
            "id": item.uid,
            "kind": item.kind,
            "filename": item.filename,
            "size": item.size,
            "message": gettext("“%(name)s” was uploaded.", name=item.filename),
        }
    ), 201


@bp.route("/apply/drafts/<uid>/discard", methods=["POST"])
@login_required
def draft_discard(uid: str) -> ResponseReturnValue:
    user = _applicant()
    db = common.session()
    draft = drafts.get_draft(db, user, uid, lock=True)
    drafts.discard(db, draft)
    common.commit()
    flash(gettext("The draft was discarded."), "success")
    return redirect(url_for("applicant.my_cases"))
