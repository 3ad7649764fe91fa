"""Applicant pages: registering an account and "My cases".

Registration rules live in ``services.accounts``; this module reads the form, calls it, commits,
and says each refusal next to its field in the page's language.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from app import clock
from app.errors import InvalidData
from app.services import accounts, drafts, performer_tasks
from app.services.my_cases import my_cases as my_cases_rows

from . import common
from .auth import current_user, log_in, login_required

bp = Blueprint("applicant", __name__)

FIELDS = ("kind", "username", "company_name", "credit_code", "contact_name", "full_name", "phone", "email")


def _field_message(message: str) -> str:
    """A refusal of ``services.accounts`` said for a person, in the page's language."""
    messages = {
        accounts.REQUIRED: gettext("This field is required."),
        accounts.TAKEN_USERNAME: gettext("This username is taken already: choose another one."),
        accounts.TAKEN_CREDIT_CODE: gettext(
            "An account with this unified social credit code exists already. "
            "Log in with it, or ask the bureau's window to help if you lost its password."
        ),
        accounts.BAD_USERNAME: gettext(
            "Use 3 to 64 letters, digits, “.”, “_” or “-”, starting with a letter or digit."
        ),
        accounts.BAD_CREDIT_CODE: gettext("This is not a valid unified social credit code."),
        accounts.BAD_PHONE: gettext(
            "Enter a mobile number (11 digits) or a landline with its area code, e.g. 0591-87654321."
        ),
        accounts.BAD_EMAIL: gettext("Enter a valid e-mail address."),
        accounts.WEAK_PASSWORD: gettext(
            "This password is too weak: use at least 10 characters with letters and digits, "
            "and not your username."
        ),
        accounts.BAD_KIND: gettext("Choose company or citizen."),
        accounts.TOO_LONG: gettext("This is too long."),
    }
    return messages.get(message, gettext("This value is not valid."))


def _clean(text: str, limit: int) -> str:
    return text.replace("\x00", "").strip()[:limit]


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    """Register an applicant account (company or citizen) and log it in."""
    if current_user() is not None:
        return redirect(url_for("inbox.inbox"))
    # A visitor who came from a guide's Start button goes on to that form once registered.
    next_url = common.safe_next(request.values.get("next"), "")
    values: dict[str, str] = {"kind": accounts.COMPANY}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        values = {name: _clean(request.form.get(name, ""), 300) for name in FIELDS}
        kind = values["kind"]
        company = kind == accounts.COMPANY
        registration = accounts.Registration(
            kind=kind,
            username=values["username"],
            password=request.form.get("password", "").replace("\x00", "")[:300],
            name=values["company_name"] if company else values["full_name"],
            phone=values["phone"],
            email=values["email"],
            contact_name=values["contact_name"] if company else "",
            credit_code=values["credit_code"] if company else "",
        )
        try:
            user = accounts.create_applicant(common.session(), registration)
            common.commit()
        except InvalidData as err:
            common.rollback()
            for key, messages in err.errors.items():
                target = ("company_name" if company else "full_name") if key == "name" else key
                errors.setdefault(target, []).extend(_field_message(m) for m in messages)
            status = 422
        else:
            log_in(user)
            flash(gettext("Welcome, %(name)s. Your account is ready.", name=user.display_name), "success")
            return redirect(next_url or url_for("applicant.my_cases"))
    return (
        render_template("register.html", values=values, errors=errors, labels=_labels(), next=next_url),
        status,
    )


def _labels() -> dict[str, str]:
    return {
        "username": gettext("Username"),
        "password": gettext("Password"),
        "company_name": gettext("Company name"),
        "credit_code": gettext("Unified social credit code"),
        "contact_name": gettext("Contact person"),
        "full_name": gettext("Full name"),
        "phone": gettext("Phone"),
        "email": gettext("E-mail"),
        "kind": gettext("I register as"),
    }


@bp.route("/my/cases")
@login_required
def my_cases() -> ResponseReturnValue:
    """The applicant's cases with their status and stage, newest first."""
    user = current_user()
    assert user is not None
    if user.is_staff:
        return redirect(url_for("inbox.inbox"))
    db = common.session()
    rows = my_cases_rows(db, user, clock.now())
    startable = drafts.startable(db)
    names = {v.key: v for v in startable}
    saved = [{"draft": d, "version": names.get(d.process_key)} for d in drafts.user_drafts(db, user)]
    to_do = performer_tasks.open_tasks_for(db, user)
    return render_template(
        "my_cases.html",
        rows=rows,
        startable=startable,
        drafts=saved,
        to_do=to_do,
        code_unverified=performer_tasks.awaits_verification(user),
    )
