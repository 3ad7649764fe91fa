"""Saved inbox filters (on the blueprint `inbox`): save the inbox's current query under a name,
for oneself or a group; delete one's own. The rules are services/saved_filters.py."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from app.errors import Conflict, InvalidData
from app.services import saved_filters

from . import common
from .auth import current_user, login_required
from .inbox import bp, inbox_query, query_args


@bp.route("/inbox/filters", methods=["POST"])
@login_required
def save_filter() -> ResponseReturnValue:
    """Save the query the inbox shows (its arguments travel in this URL) under the typed name."""
    user = current_user()
    assert user is not None
    query = query_args(inbox_query(request.args, user), page=1)
    name = common.no_nul(request.form.get("name") or "")
    group = common.no_nul(request.form.get("group") or "") or None
    try:
        saved_filters.save_filter(common.session(), user, name, query, group)
        common.commit()
    except InvalidData as err:
        common.rollback()
        message = (
            gettext("Name the filter (at most 80 characters).")
            if "name" in err.errors
            else gettext("You can share a filter only with a group you belong to.")
        )
        flash(message, "error")
        return redirect(url_for("inbox.inbox", **query))
    except Conflict as err:
        common.rollback()
        flash(
            gettext("You already have a filter with this name.")
            if "named" in err.message
            else gettext("You have saved the most filters allowed: delete one first."),
            "error",
        )
        return redirect(url_for("inbox.inbox", **query))
    flash(gettext("The filter was saved."), "success")
    return redirect(url_for("inbox.inbox", **query))


@bp.route("/inbox/filters/<int:filter_id>/delete", methods=["POST"])
@login_required
def delete_filter(filter_id: int) -> ResponseReturnValue:
    user = current_user()
    assert user is not None
    saved_filters.delete_filter(common.session(), user, filter_id)
    common.commit()
    flash(gettext("The filter was deleted."), "success")
    return redirect(url_for("inbox.inbox"))
