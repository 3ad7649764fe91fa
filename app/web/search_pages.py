"""The staff case search page `/search` (on the blueprint `inbox`): the case search's results
(services/search.py), ranked and highlighted, filtered by process, status and submission date."""

from __future__ import annotations

from datetime import date

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from app.errors import InvalidData
from app.models import CaseStatus
from app.services import processes, search

from . import common
from .auth import current_user, login_required
from .inbox import bp

PER_PAGE = 20


def _date(name: str) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidData(gettext("Not a date: %(value)s", value=raw[:20]), {name: ["YYYY-MM-DD"]}) from None


def _status() -> CaseStatus | None:
    raw = (request.args.get("status") or "").strip()
    try:
        return CaseStatus(raw) if raw else None
    except ValueError:
        raise InvalidData(
            gettext("Unknown status: %(value)s", value=raw[:40]), {"status": [raw[:40]]}
        ) from None


@bp.route("/search")
@login_required
def search_page() -> ResponseReturnValue:
    """Staff: every case they may read found by any of its text."""
    user = current_user()
    assert user is not None
    if not user.is_staff:
        return redirect(url_for("applicant.my_cases"))
    query = search.SearchQuery(
        q=(request.args.get("q") or "").strip()[:200],
        process=(request.args.get("process") or "").strip()[:64] or None,
        status=_status(),
        submitted_from=_date("from"),
        submitted_to=_date("to"),
        page=max(1, min(request.args.get("page", 1, type=int) or 1, 1000)),
        per_page=PER_PAGE,
    )
    db = common.session()
    found = search.search_cases(db, user, query) if query.q else None
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "search.html",
        query=query,
        found=found,
        args=args,
        statuses=[s.value for s in CaseStatus],
        processes=processes.current_versions(db),
    )
