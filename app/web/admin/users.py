"""The admin console's users: search, a new staff account, one account's groups, roles, state and password,
and an applicant company's credit code verified."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from app.errors import NotFound
from app.services import admin

from .. import common
from .console import PER_PAGE, ROLE_LABELS, admin_required, bp, console_page, form_text, me, page_number, save


def _users_page(
    form: dict[str, Any] | None = None, errors: dict[str, Any] | None = None, status: int = 200
) -> Any:
    q = (request.args.get("q") or "").replace("\x00", "")[:64]
    kind = request.args.get("kind") if request.args.get("kind") in ("staff", "applicant", "all") else "staff"
    found = admin.search_users(
        common.session(), q, kind=None if kind == "all" else kind, page=page_number(), per_page=PER_PAGE
    )
    return console_page(
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
        username=form_text("username", 65),
        display_name=form_text("display_name", 201),
        password=form_text("password"),
        email=form_text("email", 201),
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
    user = save(
        lambda: admin.create_staff(common.session(), me(), new),
        lambda errors: _users_page(form, errors, 422),
    )
    flash(gettext("Created the account %(username)s.", username=user.username), "success")
    return redirect(url_for("admin.admin_user", username=user.username))


def _user_page(username: str, errors: dict[str, Any] | None = None, status: int = 200) -> Any:
    try:
        user = admin.user_by_name(common.session(), username)
    except NotFound:
        abort(404)
    return console_page(
        "admin/user.html",
        "users",
        None,
        errors,
        status,
        account=user,
        roles=ROLE_LABELS,
        is_me=user.id == me().id,
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
    save(
        lambda: admin.set_active(common.session(), me(), username, active),
        lambda errors: _user_page(username, errors, 422),
        say_refused=False,  # the page says why next to the button
    )
    flash(gettext("The account is enabled.") if active else gettext("The account is disabled."), "success")
    return redirect(url_for("admin.admin_user", username=username))


@bp.route("/admin/users/<username>/password", methods=["POST"])
@admin_required
def admin_reset_password(username: str) -> ResponseReturnValue:
    save(
        lambda: admin.reset_password(common.session(), me(), username, form_text("password")),
        lambda errors: _user_page(username, errors, 422),
    )
    flash(gettext("The password was changed; the user's sessions and tokens have ended."), "success")
    return redirect(url_for("admin.admin_user", username=username))


@bp.route("/admin/users/<username>/roles", methods=["POST"])
@admin_required
def admin_set_roles(username: str) -> ResponseReturnValue:
    save(
        lambda: admin.set_roles(common.session(), me(), username, request.form.getlist("roles")),
        lambda errors: _user_page(username, errors, 422),
    )
    flash(gettext("The roles were saved."), "success")
    return redirect(url_for("admin.admin_user", username=username))


@bp.route("/admin/users/<username>/credit-code", methods=["POST"])
@admin_required
def admin_verify_credit_code(username: str) -> ResponseReturnValue:
    """Confirm a company account's credit code (checked against its business licence), or
    withdraw the confirmation: only a verified account performs its company's tasks."""
    verified = request.form.get("verified") == "1"
    save(
        lambda: admin.set_credit_code_verified(common.session(), me(), username, verified),
        lambda errors: _user_page(username, errors, 422),
        say_refused=False,  # the page says why next to the button
    )
    flash(
        gettext("The credit code is marked verified.")
        if verified
        else gettext("The credit code is no longer verified."),
        "success",
    )
    return redirect(url_for("admin.admin_user", username=username))
