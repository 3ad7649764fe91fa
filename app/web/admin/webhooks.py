"""The admin console's outbound webhooks: subscriptions (add, delete) and the delivery log with a
re-send button. The secret of a new subscription is shown once, on the page the form redirects to
(post/redirect/get: a reload subscribes nothing again); it travels there in the session's flash
messages, never in the URL, and is gone from the session once shown."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, get_flashed_messages, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext

from app.errors import Conflict, NotFound
from app.problem_words import say
from app.services import webhook_urls, webhooks
from app.services.webhook_errors import explained
from app.services.webhook_events import EVENTS

from .. import common
from .console import MESSAGES, admin_required, bp, console_page, form_text, me, save

EVENT_LABELS = {
    "case.started": lazy_gettext("Case started"),
    "task.completed": lazy_gettext("Task completed"),
    "case.decided": lazy_gettext("Decision (approved or refused)"),
    "certificate.issued": lazy_gettext("Certificate issued (电子证照)"),
    "case.closed": lazy_gettext("Case closed"),
}
STATE_LABELS = {
    "pending": lazy_gettext("sending"),
    "delivered": lazy_gettext("delivered"),
    "failed": lazy_gettext("failed"),
}
MESSAGES.update(
    {
        webhook_urls.BAD_URL: lazy_gettext("Enter an http:// or https:// address with a host name."),
        webhook_urls.PRIVATE_URL: lazy_gettext(
            "This address is in a private, loopback or link-local network; allow it with "
            "PERMITFLOW_WEBHOOK_ALLOW_HOSTS first."
        ),
        webhook_urls.UNRESOLVED_URL: lazy_gettext("This host name does not resolve."),
        webhook_urls.TOO_LONG_URL: lazy_gettext("This is too long."),
        webhook_urls.NON_ASCII_URL: lazy_gettext(
            "Write the address in ASCII: the host name in punycode (xn--…), the path percent-encoded."
        ),
        webhooks.NO_EVENTS: lazy_gettext("Choose at least one event."),
        webhooks.UNKNOWN_EVENT: lazy_gettext("Choose among the listed events."),
    }
)


# The flash category carrying a new subscription's secret to the page after the redirect
# (base.html shows every other category as a notice, never this one).
SECRET_FLASH = "secret"


def delivery_error(stored: str) -> str:
    """A delivery's stored failure reason in the page's language."""
    return say(explained(stored))


def _webhook_filter() -> int | None:
    raw = request.args.get("webhook", "")
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def _webhooks_page(
    form: dict[str, Any] | None = None,
    errors: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    db = common.session()
    chosen = _webhook_filter()
    flashed: list[tuple[str, str]] = get_flashed_messages(with_categories=True)  # type: ignore[assignment]
    secret = next((m for c, m in flashed if c == SECRET_FLASH), None)
    page = console_page(
        "admin/webhooks.html",
        "webhooks",
        form or {"events": list(EVENTS)},
        errors,
        status,
        hooks=webhooks.subscriptions_for(db, me()),
        deliveries=webhooks.deliveries(db, chosen),
        chosen=chosen,
        events=EVENTS,
        event_labels=EVENT_LABELS,
        state_labels=STATE_LABELS,
        secret=secret,
        delivery_error=delivery_error,
    )
    # The page showing a secret is kept by no cache (nor the browser's history) once left.
    if not secret:
        return page
    return page[0], page[1], {"Cache-Control": "private, no-store"}


@bp.route("/admin/webhooks")
@admin_required
def admin_webhooks() -> ResponseReturnValue:
    """Subscriptions and the newest deliveries (of one subscription with `?webhook=<id>`)."""
    return _webhooks_page()


@bp.route("/admin/webhooks", methods=["POST"])
@admin_required
def admin_add_webhook() -> ResponseReturnValue:
    form: dict[str, Any] = {
        "url": form_text("url", 2001),
        "events": request.form.getlist("events")[: len(EVENTS)],
    }
    made = save(
        lambda: webhooks.subscribe(common.session(), me(), form["url"], form["events"]),
        lambda errors: _webhooks_page(form, errors, 422),
    )
    flash(gettext("The webhook was added. Copy its secret now: it is not shown again."), "success")
    flash(made.secret, SECRET_FLASH)
    return redirect(url_for("admin.admin_webhooks"))


@bp.route("/admin/webhooks/<int:webhook_id>/delete", methods=["POST"])
@admin_required
def admin_delete_webhook(webhook_id: int) -> ResponseReturnValue:
    try:
        webhooks.delete(common.session(), me(), webhook_id)
        common.commit()
    except NotFound:
        abort(404)
    flash(gettext("The webhook was deleted; nothing more is sent to it."), "success")
    return redirect(url_for("admin.admin_webhooks"))


@bp.route("/admin/webhooks/deliveries/<int:delivery_id>/resend", methods=["POST"])
@admin_required
def admin_resend_delivery(delivery_id: int) -> ResponseReturnValue:
    try:
        webhooks.resend(common.session(), me(), delivery_id)
        common.commit()
    except NotFound:
        abort(404)
    except Conflict:
        common.rollback()
        abort(409)
    flash(gettext("The delivery is being sent again."), "success")
    return redirect(url_for("admin.admin_webhooks", webhook=_webhook_filter()))
