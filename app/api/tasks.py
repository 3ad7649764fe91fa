"""Tasks: the reviewer's inbox, a task with its form, claim, unclaim, complete."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from app.models import HumanTask
from app.services import tasks
from app.services.task_view import TaskDetail as TaskDetailView
from app.services.task_view import TaskSummary

from .common import AUTH, commit, documented_errors, require_user, session
from .schemas import CompleteRequest, CompleteResponse, TaskDetail, TaskItem, TaskList, TaskListArgs

blp = Blueprint("tasks", __name__, description="Tasks (the inbox)")


def summary(task: HumanTask) -> TaskSummary:
    """One task as `TaskItem` dumps it."""
    return tasks.summaries(session(), [task])[0]


@blp.route("/tasks")
class TaskCollection(MethodView):
    @blp.arguments(TaskListArgs, location="query")
    @blp.response(200, TaskList)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 422)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The caller's inbox, most urgent first. `scope=all` is for supervisors."""
        user = require_user()
        page = tasks.list_inbox(session(), user, tasks.InboxQuery(**args))
        return {
            "items": tasks.summaries(session(), page.items),
            "total": page.total,
            "total_exact": page.total_exact,
            "page": page.page,
            "per_page": page.per_page,
        }


@blp.route("/tasks/<int:task_id>")
class TaskResource(MethodView):
    @blp.response(200, TaskDetail)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 404)
    def get(self, task_id: int) -> TaskDetailView:
        """A task with its form (JSON Schema and UI hints) and the case data it may see."""
        return tasks.task_detail(session(), require_user(), task_id)


def _task_action(task_id: int, action: Any) -> TaskSummary:
    user = require_user()
    task = action(session(), user, task_id)
    commit()
    return summary(task)


@blp.route("/tasks/<int:task_id>/claim")
class TaskClaim(MethodView):
    @blp.response(200, TaskItem)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 404, 409)
    def post(self, task_id: int) -> TaskSummary:
        """Take the task so that nobody else works on it. 409 if someone else has it."""
        return _task_action(task_id, tasks.claim_task)


@blp.route("/tasks/<int:task_id>/unclaim")
class TaskUnclaim(MethodView):
    @blp.response(200, TaskItem)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 404, 409)
    def post(self, task_id: int) -> TaskSummary:
        """Give the task back to the group."""
        return _task_action(task_id, tasks.unclaim_task)


@blp.route("/tasks/<int:task_id>/complete")
class TaskComplete(MethodView):
    @blp.arguments(CompleteRequest)
    @blp.response(200, CompleteResponse)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, body: dict[str, Any], task_id: int) -> dict[str, Any]:
        """Complete the task with its form's data. 422 names every invalid field; 409 when the
        task was completed or claimed by someone else meanwhile."""
        user = require_user()
        case = tasks.complete_task(session(), user, task_id, body["data"])
        commit()
        return {
            "case_number": case.number,
            "status": case.status.value,
            "stage": case.stage,
            "stage_en": case.stage_en,
        }
