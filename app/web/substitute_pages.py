"""转办 / 委托 as a page: staff name their substitute for a date range (a supervisor for a member of
their group), see the substitutions running or to come, and end them. The rules are the API's
(services/substitutions.py); a refusal answers the page again with its 4xx and the reason."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from sqlalchemy import select

from app.errors import Conflict, Forbidden, InvalidData, NotFound
from app.models import Group, Membership, ProcessVersion, User
from app.services import substitutions

from . import common
from .auth import current_user, login_required
from .inbox import bp
from .track_access import clean


def _people(user: User) -> list[User]:
    """Whose substitute ``user`` may set: themselves and the members of the groups they supervise."""
    db = common.session()
    supervised = substitutions.task_access.group_slugs(user, supervised=True)
    members = db.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .join(Group, Group.id == Membership.group_id)
        .where(Group.slug.in_(supervised), User.id != user.id, User.is_active.is_(True))
        .order_by(User.username)
    ).unique()
    return [user, *members]


def _render(user: User, status: int = 200, problem: str | None = None) -> ResponseReturnValue:
    db = common.session()
    people = _people(user)
    current = [(p, row) for p in people for row in substitutions.substitutions_of(db, p)]
    context: dict[str, Any] = {
        "people": people,
        "current": current,
        "names": {
            row.substitute_id: (db.get(User, row.substitute_id) or user).display_name for _p, row in current
        },
        "colleagues": list(
            db.scalars(
                select(User)
                .where(User.is_active.is_(True), User.id.in_(select(Membership.user_id)))
                .order_by(User.username)
            )
        ),
        "processes": list(db.scalars(select(ProcessVersion).where(ProcessVersion.is_current.is_(True)))),
        "problem": problem,
    }
    return render_template("substitute.html", **context), status


def _user() -> User:
    user = current_user()
    assert user is not None
    if not user.is_staff:
        raise Forbidden("substitutes are for agency staff")
    return user


@bp.route("/inbox/substitute")
@login_required
def substitute_page() -> ResponseReturnValue:
    """The page to name a substitute while away."""
    return _render(_user())


def _date(name: str) -> date | None:
    try:
        return date.fromisoformat(clean(request.form.get(name), 10))
    except ValueError:
        return None


@bp.route("/inbox/substitute", methods=["POST"])
@login_required
def set_substitute() -> ResponseReturnValue:
    user = _user()
    start, end = _date("from"), _date("to")
    whom = clean(request.form.get("for"), 64) or "me"
    if start is None or end is None:
        return _render(
            user, 422, gettext("Enter the first and the last day of the absence. Nothing was changed.")
        )
    process = clean(request.form.get("process"), 64) or None
    wanted = substitutions.SubstituteRequest(clean(request.form.get("user"), 64), start, end, process)
    try:
        substitutions.set_substitute(common.session(), user, whom, wanted)
        common.commit()
    except (InvalidData, Conflict, NotFound) as err:
        common.rollback()
        message = (
            gettext("A substitute is already set for part of this period: end it first. Nothing was changed.")
            if isinstance(err, Conflict)
            else gettext("Choose a colleague and a period that has not ended. Nothing was changed.")
        )
        return _render(user, err.status, message)
    flash(gettext("The substitute was named; their inbox now shows the tasks."), "success")
    return redirect(url_for("inbox.substitute_page"))


@bp.route("/inbox/substitute/end", methods=["POST"])
@login_required
def end_substitute() -> ResponseReturnValue:
    user = _user()
    try:
        substitutions.end_substitute(common.session(), user, clean(request.form.get("for"), 64) or "me")
        common.commit()
    except Conflict:
        common.rollback()
        return _render(user, 409, gettext("No substitute is set: nothing was changed."))
    flash(gettext("The substitution was ended."), "success")
    return redirect(url_for("inbox.substitute_page"))
