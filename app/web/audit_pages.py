"""The audit trail as pages: a case's trail for staff, the searchable whole trail for admins
and auditors, and a check of the hash chain."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext

from app.services import audit, cases

from . import audit_chain, common
from .auth import current_user, login_required

bp = Blueprint("audit", __name__)

PER_PAGE = 50

# Audit action codes as people read them (unknown codes are shown as they are).
ACTION_LABELS = {
    "case.submitted": lazy_gettext("Application submitted"),
    "task.completed": lazy_gettext("Step completed"),
    "message.received": lazy_gettext("Message received"),
    "message.recorded": lazy_gettext("Message recorded"),
    "message.unrouted": lazy_gettext("Message thrown, no case caught it"),
    "integration.registered": lazy_gettext("Integration client registered"),
    "integration.rotated": lazy_gettext("Integration client secret rotated"),
    "integration.revoked": lazy_gettext("Integration client revoked"),
    "task.claimed": lazy_gettext("Task claimed"),
    "task.unclaimed": lazy_gettext("Task released"),
    "task.reassigned": lazy_gettext("Task reassigned"),
    "case.suspended": lazy_gettext("Case clock suspended"),
    "case.resumed": lazy_gettext("Case clock resumed"),
    "case.suspension_overlong": lazy_gettext("Suspension past its notice period"),
    "case.withdrawn": lazy_gettext("Case withdrawn by the applicant"),
    "case.extension_requested": lazy_gettext("Extension requested"),
    "case.extended": lazy_gettext("Time limit extended"),
    "case.extension_refused": lazy_gettext("Extension refused"),
    "case.urged": lazy_gettext("Urged by the applicant"),
    "case.supervision_ordered": lazy_gettext("Supervision order issued"),
    "case.rated": lazy_gettext("Service rated"),
    "case.disclosure_withheld": lazy_gettext("Withheld from the public disclosure"),
    "case.query_code_replaced": lazy_gettext("New query code sent to the complainant"),
    "case.commented": lazy_gettext("Comment on the case"),
    "review.deemed_consent": lazy_gettext("Review taken as agreed (deemed consent)"),
    "task.returned": lazy_gettext("Case returned to an earlier step"),
    "task.recalled": lazy_gettext("Completion recalled"),
    "task.consultation_requested": lazy_gettext("Opinions asked for (consultation)"),
    "task.consultation_withdrawn": lazy_gettext("Consultation withdrawn"),
    "user.substitute_set": lazy_gettext("Substitute named"),
    "user.substitute_ended": lazy_gettext("Substitute ended"),
    "task.escalated": lazy_gettext("Escalated"),
    "task.sla_warning": lazy_gettext("Due-date warning"),
    "timer.fired": lazy_gettext("Timer fired"),
    "timer.failed": lazy_gettext("Timer failed"),
    "case.overdue": lazy_gettext("Case overdue"),
    "case.migrated": lazy_gettext("Moved to a new process version"),
    "certificate.issued": lazy_gettext("Certificate issued"),
    "webhook.created": lazy_gettext("Webhook added"),
    "webhook.deleted": lazy_gettext("Webhook deleted"),
    "webhook.resent": lazy_gettext("Webhook delivery re-sent"),
    "process.deployed": lazy_gettext("Process version deployed"),
    "process.current_changed": lazy_gettext("Current process version switched"),
    "calendar.override": lazy_gettext("Calendar changed"),
    "calendar.override_removed": lazy_gettext("Calendar change removed"),
    "certificate.revoked": lazy_gettext("Certificate revoked"),
    "credit.deducted": lazy_gettext("Credit points deducted"),
    "attachment.added": lazy_gettext("Attachment added"),
    "account.registered": lazy_gettext("Account registered"),
    "account.linked": lazy_gettext("Account linked to its unified identity"),
    "user.created": lazy_gettext("User created"),
    "user.enabled": lazy_gettext("User enabled"),
    "user.disabled": lazy_gettext("User disabled"),
    "user.credit_code_verified": lazy_gettext("Credit code verified"),
    "user.credit_code_unverified": lazy_gettext("Credit code verification withdrawn"),
    "user.password_reset": lazy_gettext("Password reset"),
    "user.roles_changed": lazy_gettext("User roles changed"),
    "user.notification_settings": lazy_gettext("Notification settings changed"),
    "group.created": lazy_gettext("Group created"),
    "group.changed": lazy_gettext("Group changed"),
    "group.member_added": lazy_gettext("Group member added"),
    "group.member_removed": lazy_gettext("Group member removed"),
    "group.supervisor_set": lazy_gettext("Group supervisor appointed"),
    "group.supervisor_unset": lazy_gettext("Group supervisor removed"),
    "setting.changed": lazy_gettext("Setting changed"),
    "login.locked": lazy_gettext("Login locked"),
    "login.unlocked": lazy_gettext("Login lock ended"),
    "login.sso": lazy_gettext("Logged in through unified identity"),
    "login.sso_refused": lazy_gettext("Unified identity login refused"),
}


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _bounds(start: date | None, end: date | None, tz: str) -> tuple[datetime | None, datetime | None]:
    zone = ZoneInfo(tz)
    low = datetime.combine(start, time.min, zone) if start else None
    high = datetime.combine(end + timedelta(days=1), time.min, zone) if end else None
    return low, high


def _page_url(filters: dict[str, str]) -> Any:
    """A function giving the URL of another page of the same listing, filters kept."""
    kept: dict[str, Any] = {key: value for key, value in filters.items() if value}

    def page_url(page: int) -> str:
        return url_for(str(request.endpoint), **{**(request.view_args or {}), **kept, "page": page})

    return page_url


def _page_number() -> int:
    try:
        return max(1, min(int(request.args.get("page", "1")), 100_000))
    except ValueError:
        return 1


@bp.route("/audit")
@login_required
def audit_trail() -> ResponseReturnValue:
    """Admins and auditors: every event, searchable by case, action, person and period."""
    user = current_user()
    if not audit.can_audit(user):
        abort(403)
    settings = common.settings()
    filters = {
        key: (request.args.get(key) or "").replace("\x00", "").strip()[:64]
        for key in ("case", "action", "actor", "from", "to")
    }
    start, end = _day(filters["from"]), _day(filters["to"])
    low, high = _bounds(start, end, settings.timezone)
    page = _page_number()
    rows, total = audit.search_events(
        common.session(),
        case_number=filters["case"] or None,
        action=filters["action"] or None,
        actor=filters["actor"] or None,
        start=low,
        end=high,
        page=page,
        per_page=PER_PAGE,
    )
    chain: dict[str, Any] | None = None
    if request.args.get("verify") == "1":
        chain = audit_chain.verify(common.session(), ACTION_LABELS)
    return render_template(
        "audit.html",
        rows=rows,
        total=total,
        page=page,
        per_page=PER_PAGE,
        filters=filters,
        labels=ACTION_LABELS,
        chain=chain,
        case=None,
        page_url=_page_url(filters),
        bad_dates=[k for k in ("from", "to") if filters[k] and _day(filters[k]) is None],
    )


@bp.route("/cases/<number>/audit")
@login_required
def case_audit(number: str) -> ResponseReturnValue:
    """Staff: who did what, when, on one case."""
    user = current_user()
    if user is None or not user.is_staff:
        abort(403)
    case, _ = cases.case_for_viewer(common.session(), number.upper(), user, None)
    page = _page_number()
    rows, total = audit.search_events(common.session(), case_id=case.id, page=page, per_page=PER_PAGE)
    return render_template(
        "audit.html",
        rows=rows,
        total=total,
        page=page,
        per_page=PER_PAGE,
        filters={},
        labels=ACTION_LABELS,
        chain=None,
        case=case,
        bad_dates=[],
        page_url=_page_url({}),
    )
