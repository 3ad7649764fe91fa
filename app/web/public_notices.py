"""Notices (通知公告 / 政策法规 / 监督动态): `/notices` (by section, level and business, searchable),
one notice's page with its files, and `/notices/feed.xml` (Atom, per section with ``?category=``).
No login; services/notices.py decides what is published."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from app import clock
from app.downloads import download_response
from app.errors import Conflict, InvalidData
from app.services import disclosure, notices

from . import common
from .auth import current_user, login_required
from .public_pages import bp

FEED_ITEMS = 50


def _filters() -> dict[str, str]:
    return {
        name: common.no_nul(request.args.get(name, "")).strip()[: notices.MAX_QUERY]
        for name in ("category", "level", "business", "q")
    }


def _published(filters: dict[str, str], page: int = 1, per_page: int | None = None) -> notices.NoticePage:
    wanted = notices.NoticeFilter(filters["category"], filters["level"], filters["business"], filters["q"])
    return notices.published(common.session(), wanted, page=page, per_page=per_page)


def _page() -> int:
    raw = request.args.get("page", "")
    return int(raw) if raw.isdigit() and len(raw) < 6 else 1


@bp.route("/notices")
def notice_list() -> ResponseReturnValue:
    """The published notices, newest first, a page at a time (``?page=``)."""
    filters = _filters()
    found = _published(filters, _page())
    kept = {name: value for name, value in filters.items() if value}  # the pager's links keep the filters
    return render_template("notices.html", items=found.items, found=found, filters=filters, kept=kept)


@bp.route("/notices/feed.xml")
def notice_feed() -> ResponseReturnValue:
    """An Atom feed of the published notices (one section with ``?category=``)."""
    filters = _filters()
    items = _published(filters, per_page=FEED_ITEMS).items
    # Links from the configured public address, never from the request's Host header (which a
    # client chooses: a cached feed would carry its links to everyone).
    base = common.settings().base_url.rstrip("/")
    xml = render_template("notices_feed.xml", items=items, filters=filters, updated=clock.now(), base=base)
    return xml, 200, {"Content-Type": "application/atom+xml; charset=utf-8"}


@bp.route("/notices/<number>")
def notice_page(number: str) -> ResponseReturnValue:
    """One published notice (404 when withdrawn or not published)."""
    number = common.no_nul(number).upper()
    item = notices.published_notice(common.session(), number)
    may_withdraw = number in disclosure.withholdable_numbers(common.session(), current_user(), [number])
    return render_template("notice.html", item=item, may_withdraw=may_withdraw)


@bp.route("/notices/<number>/files/<uid>")
def notice_file(number: str, uid: str) -> ResponseReturnValue:
    """A file of a published notice."""
    stored = notices.notice_file(common.session(), common.no_nul(number).upper(), common.no_nul(uid))
    return download_response(stored)


@bp.route("/notices/<number>/withdraw", methods=["POST"])
@login_required
def notice_withdraw(number: str) -> ResponseReturnValue:
    """A section head or leader withdraws a published notice, with the reason (audited)."""
    user = current_user()
    assert user is not None
    number = common.no_nul(number).upper()[:40]
    try:
        notices.withdraw(common.session(), user, number, request.form.get("reason", "")[:600])
        common.commit()
    except (InvalidData, Conflict):
        common.rollback()
        flash(gettext("Enter the reason for withdrawing it."), "error")
        return redirect(url_for("public.notice_page", number=number))
    flash(gettext("The notice %(number)s is withdrawn.", number=number), "success")
    return redirect(url_for("public.notice_list"))
