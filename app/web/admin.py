"""The admin console (管理控制台), for administrators only: users, groups, calendar, settings.

Views read the form, call one service in app/services/admin.py or runtime_settings.py, commit
once and redirect; a refused change is shown again with the errors next to their fields (422).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext

from app import clock
from app.errors import InvalidData, NotFound
from app.models import User
from app.services import accounts, admin, runtime_settings

from . import common
from .auth import current_user, login_required
from .i18n import current_language
from .views import bp

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


def _me() -> User:
    user = current_user()
    assert user is not None
    return user


def _form(name: str, limit: int = 256) -> str:
    return (request.form.get(name) or "").replace("\x00", "")[:limit]


def _errors(err: InvalidData) -> dict[str, list[str]]:
    """The error messages by field, in the user's language."""
    return {field: [str(MESSAGES.get(m, m)) for m in messages] for field, messages in err.errors.items()}


def _page_number() -> int:
    try:
        return max(1, min(int(request.args.get("page", "1")), 100_000))
    except ValueError:
        return 1


def _refused() -> None:
    common.rollback()
    flash(gettext("Please correct the marked fields. Nothing was saved."), "error")


def _save(
    change: Callable[[], T], again: Callable[[dict[str, list[str]]], Any], *, say_refused: bool = True
) -> T:
    """Runs one service change and commits it. A refused change is rolled back and answered with
    the page again, the errors next to their fields (422); an unknown user or group is a 404."""
    try:
        result = change()
        common.commit()
    except InvalidData as err:
        if say_refused:
            _refused()
        else:
            common.rollback()
        abort(make_response(again(_errors(err))))
    except NotFound:
        abort(404)
    return result


def _page(
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
    return redirect(url_for("web.admin_users"))


# ---------------------------------------------------------------- users


def _users_page(
    form: dict[str, Any] | None = None, errors: dict[str, Any] | None = None, status: int = 200
) -> Any:
    q = (request.args.get("q") or "").replace("\x00", "")[:64]
    kind = request.args.get("kind") if request.args.get("kind") in ("staff", "applicant", "all") else "staff"
    found = admin.search_users(
        common.session(), q, kind=None if kind == "all" else kind, page=_page_number(), per_page=PER_PAGE
    )
    return _page(
        "admin/users.html",
        "users",
        form,
        errors,
        status,
        found=found,
        pages=max(1, -(-found.total // found.per_page)),
        q=q,
        kind=kind,
        groups=admin.list_groups(common.session()),
        roles=ROLE_LABELS,
    )


@bp.route("/admin/users")
@admin_required
def admin_users() -> ResponseReturnValue:
    """Users: search, and the form for a new staff account."""
    return _users_page()


@bp.route("/admin/users", methods=["POST"])
@admin_required
def admin_create_user() -> ResponseReturnValue:
    new = admin.NewStaff(
        username=_form("username", 65),
        display_name=_form("display_name", 201),
        password=_form("password"),
        email=_form("email", 201),
        groups=tuple(request.form.getlist("groups")),
        supervises=tuple(request.form.getlist("supervises")),
        roles=tuple(request.form.getlist("roles")),
    )
    form = {
        "username": new.username,
        "display_name": new.display_name,
        "email": new.email,
        "groups": new.groups,
        "supervises": new.supervises,
        "roles": new.roles,
    }
    user = _save(
        lambda: admin.create_staff(common.session(), _me(), new),
        lambda errors: _users_page(form, errors, 422),
    )
    flash(gettext("Created the account %(username)s.", username=user.username), "success")
    return redirect(url_for("web.admin_user", username=user.username))


def _user_page(username: str, errors: dict[str, Any] | None = None, status: int = 200) -> Any:
    try:
        user = admin.user_by_name(common.session(), username)
    except NotFound:
        abort(404)
    return _page(
        "admin/user.html",
        "users",
        None,
        errors,
        status,
        account=user,
        roles=ROLE_LABELS,
        is_me=user.id == _me().id,
    )


@bp.route("/admin/users/<username>")
@admin_required
def admin_user(username: str) -> ResponseReturnValue:
    """One account: groups, roles, enable/disable, a new password."""
    return _user_page(username)


@bp.route("/admin/users/<username>/active", methods=["POST"])
@admin_required
def admin_set_active(username: str) -> ResponseReturnValue:
    active = request.form.get("active") == "1"
    _save(
        lambda: admin.set_active(common.session(), _me(), username, active),
        lambda errors: _user_page(username, errors, 422),
        say_refused=False,  # the page says why next to the button
    )
    flash(gettext("The account is enabled.") if active else gettext("The account is disabled."), "success")
    return redirect(url_for("web.admin_user", username=username))


@bp.route("/admin/users/<username>/password", methods=["POST"])
@admin_required
def admin_reset_password(username: str) -> ResponseReturnValue:
    _save(
        lambda: admin.reset_password(common.session(), _me(), username, _form("password")),
        lambda errors: _user_page(username, errors, 422),
    )
    flash(gettext("The password was changed; the user's sessions and tokens have ended."), "success")
    return redirect(url_for("web.admin_user", username=username))


@bp.route("/admin/users/<username>/roles", methods=["POST"])
@admin_required
def admin_set_roles(username: str) -> ResponseReturnValue:
    _save(
        lambda: admin.set_roles(common.session(), _me(), username, request.form.getlist("roles")),
        lambda errors: _user_page(username, errors, 422),
    )
    flash(gettext("The roles were saved."), "success")
    return redirect(url_for("web.admin_user", username=username))


# ---------------------------------------------------------------- groups


def _groups_page(
    form: dict[str, Any] | None = None, errors: dict[str, Any] | None = None, status: int = 200
) -> Any:
    return _page(
        "admin/groups.html", "groups", form, errors, status, groups=admin.list_groups(common.session())
    )


@bp.route("/admin/groups")
@admin_required
def admin_groups() -> ResponseReturnValue:
    return _groups_page()


@bp.route("/admin/groups", methods=["POST"])
@admin_required
def admin_create_group() -> ResponseReturnValue:
    form = {key: _form(key, 201) for key in ("slug", "name", "name_en", "escalates_to")}
    group = _save(
        lambda: admin.create_group(common.session(), _me(), **form),
        lambda errors: _groups_page(form, errors, 422),
    )
    flash(gettext("Created the group %(name)s.", name=group.slug), "success")
    return redirect(url_for("web.admin_group", slug=group.slug))


def _group_page(
    slug: str, errors: dict[str, Any] | None = None, form: dict[str, Any] | None = None, status: int = 200
) -> Any:
    db = common.session()
    try:
        group = admin.group_by_slug(db, slug)
    except NotFound:
        abort(404)
    return _page(
        "admin/group.html",
        "groups",
        form,
        errors,
        status,
        group=group,
        members=admin.members(db, group),
        groups=admin.list_groups(db),
    )


@bp.route("/admin/groups/<slug>")
@admin_required
def admin_group(slug: str) -> ResponseReturnValue:
    """A group: its names, where its escalations go, its members and supervisors."""
    return _group_page(slug)


@bp.route("/admin/groups/<slug>", methods=["POST"])
@admin_required
def admin_update_group(slug: str) -> ResponseReturnValue:
    form = {key: _form(key, 201) for key in ("name", "name_en", "escalates_to")}
    _save(
        lambda: admin.update_group(common.session(), _me(), slug, **form),
        lambda errors: _group_page(slug, errors, form, 422),
    )
    flash(gettext("The group was saved."), "success")
    return redirect(url_for("web.admin_group", slug=slug))


@bp.route("/admin/groups/<slug>/members", methods=["POST"])
@admin_required
def admin_add_member(slug: str) -> ResponseReturnValue:
    username = _form("username", 64).strip()
    supervisor = request.form.get("supervisor") == "1"
    _save(
        lambda: admin.add_member(common.session(), _me(), slug, username, supervisor),
        lambda errors: _group_page(slug, errors, {"username": username}, 422),
    )
    flash(gettext("%(username)s was added to the group.", username=username), "success")
    return redirect(url_for("web.admin_group", slug=slug))


@bp.route("/admin/groups/<slug>/members/<username>/remove", methods=["POST"])
@admin_required
def admin_remove_member(slug: str, username: str) -> ResponseReturnValue:
    try:
        admin.remove_member(common.session(), _me(), slug, username)
        common.commit()
    except NotFound:
        abort(404)
    flash(gettext("%(username)s was removed from the group.", username=username), "success")
    return redirect(url_for("web.admin_group", slug=slug))


@bp.route("/admin/groups/<slug>/members/<username>/supervisor", methods=["POST"])
@admin_required
def admin_set_supervisor(slug: str, username: str) -> ResponseReturnValue:
    supervisor = request.form.get("supervisor") == "1"
    try:
        admin.set_supervisor(common.session(), _me(), slug, username, supervisor)
        common.commit()
    except NotFound:
        abort(404)
    flash(
        gettext("%(username)s now supervises the group.", username=username)
        if supervisor
        else gettext("%(username)s no longer supervises the group.", username=username),
        "success",
    )
    return redirect(url_for("web.admin_group", slug=slug))


# ---------------------------------------------------------------- calendar


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
    return _page(
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
    form = {"day": _form("day", 10), "kind": _form("kind", 10), "note": _form("note", 201)}
    day = _save(
        lambda: admin.set_day(common.session(), _me(), form["day"], form["kind"], form["note"]),
        lambda errors: _calendar_page(form, errors, 422),
    )
    flash(gettext("%(day)s was saved.", day=day.isoformat()), "success")
    return redirect(url_for("web.admin_calendar", year=day.year))


@bp.route("/admin/calendar/<day>/remove", methods=["POST"])
@admin_required
def admin_remove_day(day: str) -> ResponseReturnValue:
    try:
        removed = admin.remove_day(common.session(), _me(), day)
        common.commit()
    except InvalidData:
        abort(404)
    if not removed:
        abort(404)
    flash(gettext("%(day)s was removed; the holiday library decides it again.", day=day), "success")
    return redirect(url_for("web.admin_calendar", year=day[:4]))


# ---------------------------------------------------------------- settings


SETTING_HELP = {
    "sla_warning_ratio": lazy_gettext(
        "A task warns when this share of its time limit (in working days) has passed, or when only "
        "its last working day is left. Between 0.5 and 0.95."
    ),
    "escalation_working_days": lazy_gettext(
        "Working days after a task became overdue (and its group's supervisors were told) before "
        "the escalation rises to the group's escalation group. From 1 to 10."
    ),
}
SETTING_LABELS = {
    "sla_warning_ratio": lazy_gettext("Due-date warning threshold"),
    "escalation_working_days": lazy_gettext("Escalation to level 2 after (working days)"),
}


def _settings_page(
    form: dict[str, Any] | None = None, errors: dict[str, Any] | None = None, status: int = 200
) -> Any:
    return _page(
        "admin/settings.html",
        "settings",
        form,
        errors,
        status,
        items=runtime_settings.listing(common.session()),
        labels=SETTING_LABELS,
        helps=SETTING_HELP,
        cache_seconds=int(runtime_settings.CACHE_SECONDS),
        english=current_language() == "en",
    )


@bp.route("/admin/settings")
@admin_required
def admin_settings() -> ResponseReturnValue:
    """Run-time settings that are safe to change, with their allowed ranges."""
    return _settings_page()


@bp.route("/admin/settings", methods=["POST"])
@admin_required
def admin_save_settings() -> ResponseReturnValue:
    db = common.session()
    form = {key: _form(key, 32).strip() for key in runtime_settings.SPECS}
    errors: dict[str, list[str]] = {}
    changed = 0
    for key, raw in form.items():
        if raw == "":
            continue
        try:
            changed += runtime_settings.change(db, _me(), key, raw)
        except InvalidData as err:
            spec = runtime_settings.SPECS[key]
            messages = _errors(err).get(key, [])
            if runtime_settings.OUT_OF_RANGE in err.errors.get(key, []):
                messages = [gettext("Allowed: %(min)s to %(max)s.", min=spec.minimum, max=spec.maximum)]
            errors[key] = messages
    if errors:
        _refused()
        return _settings_page(form, errors, 422)
    common.commit()
    flash(
        gettext("The settings were saved.") if changed else gettext("Nothing was changed."),
        "success" if changed else "info",
    )
    return redirect(url_for("web.admin_settings"))


@bp.route("/admin/settings/<key>/reset", methods=["POST"])
@admin_required
def admin_reset_setting(key: str) -> ResponseReturnValue:
    if key not in runtime_settings.SPECS:
        abort(404)
    runtime_settings.reset(common.session(), _me(), key)
    common.commit()
    flash(gettext("The setting is back to its default."), "success")
    return redirect(url_for("web.admin_settings"))
