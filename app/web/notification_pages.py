"""The notification centre: `/notifications` lists the user's notifications (what, which case,
when, a link to the task or case); opening one marks it read; "mark read" and "all read" post
here. The bell with the unread count is on every page (base.html, `unread_notifications`).
`/notifications/settings` is the user's own: a mobile number and the SMS opt-in."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from app.errors import InvalidData
from app.models import Notification
from app.services import notification_settings, notifications
from app.services.accounts import BAD_PHONE

from . import common
from .auth import current_user, login_required
from .i18n import pick

bp = Blueprint("notification_centre", __name__)
PER_PAGE = 30


def unread_notifications() -> int:
    """The logged-in user's unread count, for the bell (0 when nobody is logged in)."""
    user = current_user()
    return notifications.unread_count(common.session(), user) if user is not None else 0


@bp.route("/notifications")
@login_required
def notification_list() -> ResponseReturnValue:
    """The user's notifications, newest first; `?unread=1` shows only the unread ones."""
    user = current_user()
    assert user is not None
    db = common.session()
    unread_only = request.args.get("unread") == "1"
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10000))
    items = notifications.list_for(db, user, unread_only=unread_only, page=page, per_page=PER_PAGE + 1)
    return render_template(
        "notifications.html",
        items=items[:PER_PAGE],
        more=len(items) > PER_PAGE,
        page=page,
        unread_only=unread_only,
        numbers=notifications.case_numbers(db, items),
        unread=notifications.unread_count(db, user),
        text=lambda n, field: pick(n, field),
    )


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@login_required
def open_notification(notification_id: int) -> ResponseReturnValue:
    """Mark it read and go where it points (the task or the case)."""
    user = current_user()
    assert user is not None
    db = common.session()
    note = db.get(Notification, notification_id) if 0 < notification_id < 2**63 else None
    notifications.mark_read(db, user, notification_id)
    common.commit()
    target = note.link if note is not None else None
    return redirect(common.safe_next(target, url_for("notification_centre.notification_list")))


@bp.route("/notifications/read", methods=["POST"])
@login_required
def read_notifications() -> ResponseReturnValue:
    """Mark the ticked notifications read, or all of them (button `all`)."""
    user = current_user()
    assert user is not None
    db = common.session()
    if request.form.get("all"):
        marked = notifications.mark_read(db, user)
    else:
        ids = [int(v) for v in request.form.getlist("ids")[:1000] if v.isdigit() and len(v) < 19]
        marked = notifications.mark_read_many(db, user, ids)
    common.commit()
    flash(gettext("%(num)d notifications marked read.", num=marked), "success")
    return redirect(url_for("notification_centre.notification_list"))


def _kind_labels() -> dict[str, str]:
    """What each texted notification kind is, in the page's language."""
    return {
        "reminder": gettext("Reminders before a time limit ends"),
        "task.overdue": gettext("A task of mine is overdue"),
        "case.decided": gettext("A case of mine is decided"),
    }


def _settings_errors(err: InvalidData) -> dict[str, list[str]]:
    messages = {
        BAD_PHONE: gettext("Enter a mobile number (11 digits) or a landline with its area code."),
        notification_settings.PHONE_NEEDED: gettext("Enter a mobile number to receive text messages."),
    }
    return {key: [messages.get(m, m) for m in found] for key, found in err.errors.items()}


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings_page() -> ResponseReturnValue:
    """The user's own notification settings: a mobile number and whether to get texts (SMS)."""
    user = current_user()
    assert user is not None
    db = common.session()
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        try:
            notification_settings.save_settings(
                db,
                user,
                sms_opt_in=request.form.get("sms_opt_in") == "1",
                phone=request.form.get("phone", "")[:40],
            )
            common.commit()
        except InvalidData as err:
            common.rollback()
            errors, status = _settings_errors(err), 422
        else:
            flash(gettext("Your notification settings are saved."), "success")
            return redirect(url_for("notification_centre.settings_page"))
    found = notification_settings.settings_of(db, user)
    labels = _kind_labels()
    kinds = [labels.get(k, k) for k in found.texted_kinds]
    return render_template("notification_settings.html", found=found, kinds=kinds, errors=errors), status
