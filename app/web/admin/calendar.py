"""The admin console's calendar: holidays and make-up working days that override the holiday library."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from app import clock
from app.errors import InvalidData
from app.services import admin

from .. import common
from .console import admin_required, bp, console_page, form_text, me, save


def _year() -> int:
    try:
        year = int(request.values.get("year", ""))
    except ValueError:
        year = clock.now().year
    return year if admin.YEAR_RANGE[0] <= year <= admin.YEAR_RANGE[1] else clock.now().year


def _calendar_page(
    form: dict[str, Any] | None = None, errors: dict[str, Any] | None = None, status: int = 200
) -> Any:
    year = _year()
    return console_page(
        "admin/calendar.html",
        "calendar",
        form or {"kind": "holiday"},
        errors,
        status,
        year=year,
        overrides=admin.overrides_of_year(common.session(), year),
    )


@bp.route("/admin/calendar")
@admin_required
def admin_calendar() -> ResponseReturnValue:
    """Calendar overrides of one year: add a holiday or a make-up working day, remove one."""
    return _calendar_page()


@bp.route("/admin/calendar", methods=["POST"])
@admin_required
def admin_add_day() -> ResponseReturnValue:
    form = {"day": form_text("day", 10), "kind": form_text("kind", 10), "note": form_text("note", 201)}
    day = save(
        lambda: admin.set_day(common.session(), me(), form["day"], form["kind"], form["note"]),
        lambda errors: _calendar_page(form, errors, 422),
    )
    flash(gettext("%(day)s was saved.", day=day.isoformat()), "success")
    return redirect(url_for("admin.admin_calendar", year=day.year))


@bp.route("/admin/calendar/<day>/remove", methods=["POST"])
@admin_required
def admin_remove_day(day: str) -> ResponseReturnValue:
    try:
        removed = admin.remove_day(common.session(), me(), day)
        common.commit()
    except InvalidData:
        abort(404)
    if not removed:
        abort(404)
    flash(gettext("%(day)s was removed; the holiday library decides it again.", day=day), "success")
    return redirect(url_for("admin.admin_calendar", year=day[:4]))
