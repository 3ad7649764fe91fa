"""The admin console's groups: their names, where escalations go, members and supervisors."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from app.errors import NotFound
from app.services import admin

from .. import common
from .console import admin_required, bp, console_page, form_text, me, save


def _groups_page(
    form: dict[str, Any] | None = None, errors: dict[str, Any] | None = None, status: int = 200
) -> Any:
    return console_page(
        "admin/groups.html", "groups", form, errors, status, groups=admin.list_groups(common.session())
    )


@bp.route("/admin/groups")
@admin_required
def admin_groups() -> ResponseReturnValue:
    return _groups_page()


@bp.route("/admin/groups", methods=["POST"])
@admin_required
def admin_create_group() -> ResponseReturnValue:
    form = {key: form_text(key, 201) for key in ("slug", "name", "name_en", "escalates_to")}
    group = save(
        lambda: admin.create_group(common.session(), me(), **form),
        lambda errors: _groups_page(form, errors, 422),
    )
    flash(gettext("Created the group %(name)s.", name=group.slug), "success")
    return redirect(url_for("admin.admin_group", slug=group.slug))


def _group_page(
    slug: str, errors: dict[str, Any] | None = None, form: dict[str, Any] | None = None, status: int = 200
) -> Any:
    db = common.session()
    try:
        group = admin.group_by_slug(db, slug)
    except NotFound:
        abort(404)
    return console_page(
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
    form = {key: form_text(key, 201) for key in ("name", "name_en", "escalates_to")}
    save(
        lambda: admin.update_group(common.session(), me(), slug, **form),
        lambda errors: _group_page(slug, errors, form, 422),
    )
    flash(gettext("The group was saved."), "success")
    return redirect(url_for("admin.admin_group", slug=slug))


@bp.route("/admin/groups/<slug>/members", methods=["POST"])
@admin_required
def admin_add_member(slug: str) -> ResponseReturnValue:
    username = form_text("username", 64).strip()
    supervisor = request.form.get("supervisor") == "1"
    save(
        lambda: admin.add_member(common.session(), me(), slug, username, supervisor),
        lambda errors: _group_page(slug, errors, {"username": username}, 422),
    )
    flash(gettext("%(username)s was added to the group.", username=username), "success")
    return redirect(url_for("admin.admin_group", slug=slug))


@bp.route("/admin/groups/<slug>/members/<username>/remove", methods=["POST"])
@admin_required
def admin_remove_member(slug: str, username: str) -> ResponseReturnValue:
    try:
        admin.remove_member(common.session(), me(), slug, username)
        common.commit()
    except NotFound:
        abort(404)
    flash(gettext("%(username)s was removed from the group.", username=username), "success")
    return redirect(url_for("admin.admin_group", slug=slug))


@bp.route("/admin/groups/<slug>/members/<username>/supervisor", methods=["POST"])
@admin_required
def admin_set_supervisor(slug: str, username: str) -> ResponseReturnValue:
    supervisor = request.form.get("supervisor") == "1"
    try:
        admin.set_supervisor(common.session(), me(), slug, username, supervisor)
        common.commit()
    except NotFound:
        abort(404)
    flash(
        gettext("%(username)s now supervises the group.", username=username)
        if supervisor
        else gettext("%(username)s no longer supervises the group.", username=username),
        "success",
    )
    return redirect(url_for("admin.admin_group", slug=slug))
