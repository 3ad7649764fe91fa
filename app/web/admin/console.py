"""The admin console (管理控制台), for administrators only: users, groups, calendar, settings.

Views read the form, call one service in app/services/admin.py or runtime_settings.py, commit
once and redirect; a refused change is shown again with the errors next to their fields (422).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext

from app.errors import InvalidData, NotFound
from app.models import User
from app.services import accounts, admin, runtime_settings

from .. import common
from ..auth import current_user, login_required

bp = Blueprint("admin", __name__)

PER_PAGE = 25

T = TypeVar("T")

# The services' messages as people read them (see app/services/admin.py and accounts.py).
MESSAGES = {
    accounts.REQUIRED: lazy_gettext("This field is required."),
    accounts.TAKEN_USERNAME: lazy_gettext("This username is already taken."),
    accounts.BAD_USERNAME: lazy_gettext(
        "Use 3 to 64 letters, digits, “.”, “_” or “-”, starting with a letter or digit."
    ),
    accounts.BAD_EMAIL: lazy_gettext("This is not a valid e-mail address."),
    accounts.WEAK_PASSWORD: lazy_gettext(
        "Too weak: use at least 10 characters with letters and digits, not the username."
    ),
    accounts.TOO_LONG: lazy_gettext("This is too long."),
    admin.BAD_SLUG: lazy_gettext(
        "Use 2 to 64 lower-case letters, digits or “_”, starting with a letter (e.g. fire_safety)."
    ),
    admin.TAKEN_SLUG: lazy_gettext("A group with this name exists already."),
    admin.UNKNOWN_GROUP: lazy_gettext("There is no such group."),
    admin.UNKNOWN_USER: lazy_gettext("There is no staff user with this username."),
    admin.UNKNOWN_ROLE: lazy_gettext("Choose among the listed roles."),
    admin.SELF_DISABLE: lazy_gettext("You cannot disable your own account."),
    admin.SELF_ADMIN: lazy_gettext("You cannot take the admin role from yourself."),
    admin.NO_CREDIT_CODE: lazy_gettext("Only a company account with a credit code can have it verified."),
    admin.ALREADY_MEMBER: lazy_gettext("This user is in the group already."),
    admin.ESCALATES_TO_SELF: lazy_gettext("A group cannot escalate to itself."),
    admin.BAD_DAY_KIND: lazy_gettext("Choose a holiday or a working day."),
    admin.BAD_DAY: lazy_gettext("Enter a date between 2000 and 2100 (YYYY-MM-DD)."),
    runtime_settings.NOT_A_NUMBER: lazy_gettext("Enter a number."),
    runtime_settings.NOT_WHOLE: lazy_gettext("Enter a whole number."),
    runtime_settings.UNKNOWN: lazy_gettext("This setting cannot be changed here."),
}
ROLE_LABELS = {
    "admin": lazy_gettext("Administrator"),
    "auditor": lazy_gettext("Auditor (reads the whole audit trail)"),
    "analyst": lazy_gettext("Process analyst"),
}


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Logged in (else to the login page) and an administrator (else 403)."""

    @login_required
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not admin.is_admin(current_user()):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def me() -> User:
    """The administrator of this request."""
    user = current_user()
    assert user is not None
    return user


def form_text(name: str, limit: int = 256) -> str:
    """A posted field, without NUL and at most ``limit`` characters."""
    return (request.form.get(name) or "").replace("\x00", "")[:limit]


def field_errors(err: InvalidData) -> dict[str, list[str]]:
    """The error messages by field, in the user's language."""
    return {field: [str(MESSAGES.get(m, m)) for m in messages] for field, messages in err.errors.items()}


def page_number() -> int:
    """The `page` argument, 1 when it is missing or not a number."""
    try:
        return max(1, min(int(request.args.get("page", "1")), 100_000))
    except ValueError:
        return 1


def refused() -> None:
    """Undo the refused change and say so above the form."""
    common.rollback()
    flash(gettext("Please correct the marked fields. Nothing was saved."), "error")


def save(
    change: Callable[[], T], again: Callable[[dict[str, list[str]]], Any], *, say_refused: bool = True
) -> T:
    """Runs one service change and commits it. A refused change is rolled back and answered with
    the page again, the errors next to their fields (422); an unknown user or group is a 404."""
    try:
        result = change()
        common.commit()
    except InvalidData as err:
        if say_refused:
            refused()
        else:
            common.rollback()
        abort(make_response(again(field_errors(err))))
    except NotFound:
        abort(404)
    return result


def console_page(
    template: str,
    section: str,
    form: dict[str, Any] | None,
    errors: dict[str, Any] | None,
    status: int,
    **context: Any,
) -> Any:
    """One console page; ``form`` holds what was typed in and ``errors`` the messages by field."""
    return (
        render_template(template, form=form or {}, errors=errors or {}, section=section, **context),
        status,
    )


@bp.route("/admin")
@admin_required
def admin_home() -> ResponseReturnValue:
    """The console opens on its users."""
    return redirect(url_for("admin.admin_users"))
