"""The public pages everyone reaches without an account: the home page (`/`) and the service
guides (`/guides`, `/guide/<process key>`), generated from the deployed processes."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext

from app.services import service_guides
from app.services.service_guides import ServiceGuide, StartedBy, TimeLimit

from . import common
from .auth import current_user, landing_url
from .i18n import is_english

bp = Blueprint("public", __name__)


def limit_words(limit: TimeLimit | None) -> str:
    """A time limit as the guide prints it: "5 个工作日" / "5 working days"."""
    if limit is None:
        return gettext("no fixed limit")
    if limit.unit == "wd":
        return ngettext("%(num)d working day", "%(num)d working days", limit.amount)
    if limit.unit == "d":
        return ngettext("%(num)d calendar day", "%(num)d calendar days", limit.amount)
    return ngettext("%(num)d hour", "%(num)d hours", limit.amount)


def _who_words(guide: ServiceGuide) -> str:
    """Who may apply, when the process does not say it in its own words."""
    if guide.started_by is StartedBy.ANYONE:
        return gettext("Anyone, with or without an account.")
    if guide.started_by is StartedBy.STAFF:
        return gettext("Started by the agency's staff.")
    return gettext("Companies and citizens with an account on this platform.")


def _start_url(guide: ServiceGuide) -> str | None:
    if guide.started_by is StartedBy.STAFF:
        return None
    endpoint, values = service_guides.start_target(guide)
    return url_for(endpoint, **values)  # type: ignore[arg-type]


@bp.route("/")
def home() -> ResponseReturnValue:
    """The public home page; a logged-in user goes on to their own start page."""
    user = current_user()
    if user is not None:
        return redirect(landing_url(user) if user.is_staff else url_for("applicant.my_cases"))
    settings = common.settings()
    return render_template(
        "home.html",
        guides=service_guides.listed(common.session()),
        start_url=_start_url,
        limit_words=limit_words,
        help_text=settings.help_text_en if is_english() else settings.help_text,
        hotline=settings.hotline,
    )


@bp.route("/guides")
def guide_list() -> ResponseReturnValue:
    """Every service guide, for applicants who are logged in as well."""
    return render_template(
        "guide_list.html",
        guides=service_guides.listed(common.session()),
        start_url=_start_url,
        limit_words=limit_words,
    )


@bp.route("/guide/<key>")
def guide(key: str) -> ResponseReturnValue:
    """The service guide (办事指南) of one process, from its current version."""
    db = common.session()
    found = service_guides.guide(db, key[:64])
    return render_template(
        "guide.html",
        guide=found,
        english=is_english(),
        who=found.text("applicants", is_english()) or _who_words(found),
        start_url=_start_url(found),
        limit_words=limit_words,
        diagram={"xml": service_guides.public_diagram(db, found.key)},
        hotline=common.settings().hotline,
    )


@bp.route("/verify")
def verify_lookup() -> ResponseReturnValue:
    """The home page's verification form: on to the certificate's own page."""
    number = request.args.get("number", "").strip()[:64]
    if not number:
        return redirect(url_for("public.home") + "#verify")
    return redirect(url_for("verify.verify_certificate", certificate_no=number))
