"""Adding a comment from a task page (on the blueprint `inbox`); the rules are services/case_comments.py."""

from __future__ import annotations

from flask import flash, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from app.errors import Forbidden, InvalidData
from app.models import Case
from app.services import case_comments, tasks

from . import common
from .auth import current_user, login_required
from .inbox import bp
from .task_pages import _back_to_task


@bp.route("/tasks/<int:task_id>/comments", methods=["POST"])
@login_required
def comment(task_id: int) -> ResponseReturnValue:
    """Add a comment to the task's case, then back to the task page."""
    user = current_user()
    assert user is not None
    db = common.session()
    task = tasks.get_task(db, task_id)
    if not tasks.task_permissions(db, user, task).view:
        raise Forbidden("this task is not for you: you are not in its group")
    case = db.get(Case, task.case_id)
    assert case is not None
    text = common.no_nul(request.form.get("text") or "")
    try:
        case_comments.add_comment(db, user, case, text, request.form.get("visibility"))
        common.commit()
    except InvalidData as err:
        common.rollback()
        flash(
            gettext("The comment was not added: write between 1 and 2000 characters.")
            if "text" in err.errors
            else gettext("The comment was not added: choose who sees it."),
            "error",
        )
        return _back_to_task(task_id)
    flash(gettext("Your comment was added."), "success")
    return _back_to_task(task_id)
