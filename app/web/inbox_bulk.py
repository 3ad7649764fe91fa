"""Bulk actions of the inbox page (on the blueprint `inbox`): claim, release or (supervisors)
reassign the ticked tasks, and "claim next" (the most urgent unclaimed task of my groups).
Each item goes through services.bulk_tasks, one savepoint per item; the page says what was done
and what was refused."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from app.errors import InvalidData
from app.services import bulk_tasks

from . import common
from .auth import current_user, login_required
from .inbox import bp, request_inbox_args


@bp.route("/inbox/bulk", methods=["POST"])
@login_required
def bulk() -> ResponseReturnValue:
    """Apply the chosen action to the ticked tasks; say how many were done and which were not."""
    user = current_user()
    assert user is not None
    ids = [int(v) for v in request.form.getlist("ids")[: bulk_tasks.MAX_ITEMS] if v.isdigit() and len(v) < 19]
    try:
        action = bulk_tasks.BulkAction((request.form.get("action") or "")[:16])
        results = bulk_tasks.apply_bulk(
            common.session(),
            user,
            action,
            ids,
            to_user=(request.form.get("user") or "").strip()[:64] or None if action == "reassign" else None,
            to_group=(request.form.get("group") or "").strip()[:64] or None if action == "reassign" else None,
            reason=(request.form.get("reason") or "").strip()[:2000] or None,
        )
        common.commit()
    except (ValueError, InvalidData):
        common.rollback()
        flash(gettext("Tick at least one task and choose what to do (and, to reassign, to whom)."), "error")
        return redirect(url_for("inbox.inbox", **request_inbox_args(user)))
    done = sum(1 for r in results if r.status == 200)
    refused = [r for r in results if r.status != 200]
    flash(gettext("%(num)d of %(total)d tasks done.", num=done, total=len(results)), "success")
    if refused:
        flash(
            gettext(
                "Not done (claimed by someone else, closed or not yours): tasks %(ids)s.",
                ids=", ".join(str(r.id) for r in refused),
            ),
            "error",
        )
    return redirect(url_for("inbox.inbox", **request_inbox_args(user)))


@bp.route("/inbox/claim-next", methods=["POST"])
@login_required
def claim_next() -> ResponseReturnValue:
    """Claim the most urgent unclaimed task of my groups and open it."""
    user = current_user()
    assert user is not None
    task = bulk_tasks.claim_next(common.session(), user)
    common.commit()
    if task is None:
        flash(gettext("No unclaimed task is waiting in your groups."), "success")
        return redirect(url_for("inbox.inbox", **request_inbox_args(user)))
    return redirect(url_for("inbox.task_page", task_id=task.id))
