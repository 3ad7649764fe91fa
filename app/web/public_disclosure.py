"""信息公开 and the project page: `/disclosure` (published results, searchable; supervisors withhold
one with a reason) and `/projects/<project code>` (staff: every case of the project; everyone else:
its published part). services/disclosure.py decides what is published and shown."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from sqlalchemy import select

from app.errors import Conflict, InvalidData
from app.models import Case
from app.services import disclosure, processes

from . import common
from .auth import current_user, login_required
from .public_pages import bp

MAX_CODE = 64


@bp.route("/disclosure")
def disclosure_list() -> ResponseReturnValue:
    """Published permits and rectification results (whatever the processes disclose)."""
    q = common.no_nul(request.args.get("q", "")).strip()[: disclosure.MAX_QUERY]
    db = common.session()
    items = disclosure.published(db, q=q)
    withholdable = disclosure.withholdable_numbers(db, current_user(), [i.number for i in items])
    return render_template("disclosure.html", items=items, q=q, withholdable=withholdable)


@bp.route("/disclosure/<number>/withhold", methods=["POST"])
@login_required
def withhold_publication(number: str) -> ResponseReturnValue:
    """A supervisor keeps a published case off the disclosure, with the reason."""
    user = current_user()
    assert user is not None
    try:
        disclosure.withhold(common.session(), user, number[:40].upper(), request.form.get("reason", "")[:600])
        common.commit()
    except InvalidData:
        common.rollback()
        flash(gettext("Enter the reason for withholding it."), "error")
        return redirect(url_for("public.disclosure_list"))
    except Conflict:
        common.rollback()
        case = common.session().scalar(select(Case).where(Case.number == number[:40].upper()))
        if case is not None and case.withheld_at is not None:
            flash(gettext("%(number)s is already withheld from the disclosure.", number=case.number), "error")
        else:
            flash(gettext("Only a finished case is published; this one is still running."), "error")
        return redirect(url_for("public.disclosure_list"))
    flash(gettext("%(number)s is withheld from the disclosure.", number=number), "success")
    return redirect(url_for("public.disclosure_list"))


@bp.route("/projects/<code>")
def project_page(code: str) -> ResponseReturnValue:
    """One project by its code: all its cases for staff, its published part for everyone."""
    code = common.no_nul(code).strip()[:MAX_CODE]
    user = current_user()
    db = common.session()
    staff = user is not None and user.is_staff
    cases = disclosure.project_cases(db, user, code)
    published = disclosure.published(db, project_code=code)
    if not cases and not published:
        abort(404)
    name = next((c.project_name for c in cases if c.project_name), None) or next(
        (p.project_name for p in published), code
    )
    versions = {v.key: v for v in processes.current_versions(db)}
    return render_template(
        "project.html", code=code, name=name, cases=cases, published=published, staff=staff, versions=versions
    )
