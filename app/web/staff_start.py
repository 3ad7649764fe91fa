"""Staff starting a case themselves (`/start/<process>`): an inspector's rectification order.

The page is the process's start form rendered from its JSON Schema by the same renderer as task
and application forms (rows per finding, one photo input per row). One multipart post carries the
form and its files; services.staff_start checks the files, starts the case through the API's
service (which validates the form) and stores the files. Without JavaScript, "Add" posts the form
and the page comes back with one more row.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from app.errors import InvalidData
from app.models import User
from app.services import staff_start

from . import common, schema_form, uploads
from .auth import current_user, login_required
from .inbox import bp

ADD_ROW = "add-row:"


def _staff() -> User:
    user = current_user()
    assert user is not None
    return user


def _render(
    user: User,
    key: str,
    data: dict[str, Any],
    *,
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
    general: list[str] | None = None,
) -> ResponseReturnValue:
    version, schema = staff_start.start_schema(common.session(), user, key)
    fields = schema_form.build_fields(schema, data=data)
    errors = errors or {}
    labels = schema_form.labels(fields)
    summary = [
        {"href": "#" + schema_form.Field(path, "text", "").dom_id, "label": labels.get(path, path), "text": t}
        for path, texts in errors.items()
        for t in texts
    ]
    return render_template(
        "start.html",
        version=version,
        schema=schema,
        fields=fields,
        values=schema_form.form_values(fields, data),
        errors=errors,
        focus=schema_form.first_error(fields, errors),
        general=general or [],
        summary=summary,
        max_upload_mb=uploads.max_mb(),
    ), status


@bp.route("/start/<key>")
@login_required
def start_page(key: str) -> ResponseReturnValue:
    """The empty start form of a staff-started process (members of its `starters` groups)."""
    return _render(_staff(), key[:64], {})


def with_row(schema: dict[str, Any], data: dict[str, Any], path: str) -> dict[str, Any]:
    """``data`` with one more (empty) row in the rows field at ``path`` (the page without script)."""
    fields = schema_form.build_fields(schema, data=data)
    target = next((f for f in _rows_fields(fields) if f.path == path), None)
    if target is None:
        return data
    limit = target.attrs.get("max_items")
    node: Any = data
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    items = node.setdefault(parts[-1], [])
    while len(items) < len(target.rows):
        items.append({})
    if limit is None or len(items) < limit:
        items.append({})
    return data


def _rows_fields(fields: list[schema_form.Field]) -> list[schema_form.Field]:
    found: list[schema_form.Field] = []
    for f in fields:
        if f.kind == "rows":
            found.append(f)
            for row in f.rows:
                found.extend(_rows_fields(row))
        found.extend(_rows_fields(f.children))
    return found


@bp.route("/start/<key>", methods=["POST"])
@login_required
def start_post(key: str) -> ResponseReturnValue:
    """Start the case with the posted form and files; or, without script, add a row."""
    user = _staff()
    key = key[:64]
    db = common.session()
    _version, schema = staff_start.start_schema(db, user, key)
    posted_fields = schema_form.build_fields(schema)
    data = schema_form.read_submission(posted_fields, request.form)
    action = (request.form.get("action") or "submit")[:200]
    if action.startswith(ADD_ROW):
        return _render(user, key, with_row(schema, data, action[len(ADD_ROW) :]))
    chosen = schema_form.posted_files(posted_fields, request.form, request.files)
    files = [
        staff_start.StartFile(path, uploads.read(upload), upload.filename) for path, upload in chosen.items()
    ]
    try:
        started = staff_start.start_with_files(
            db,
            user,
            key,
            data,
            files,
            max_bytes=common.settings().max_upload_bytes,
        )
        common.commit()
    except InvalidData as err:
        common.rollback()
        fields = schema_form.build_fields(schema, data=data)
        placed, general = schema_form.place_errors(fields, err.errors)
        if files:
            general.append(gettext("Nothing was saved: choose the files again."))
        return _render(user, key, data, status=422, errors=placed, general=general)
    number = started.case.number
    flash(gettext("Case %(number)s was started.", number=number), "success")
    return redirect(url_for("track.track_case", number=number))
