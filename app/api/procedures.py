"""Administrative procedures on a case: 挂起/恢复 (suspend/resume), 撤回 (withdraw), 延期 (extension),
催办 (urge), 督办 (supervision order) and 好差评 (service rating). Each goes through the step path and
is audited; a refusal is a 4xx naming the reason and changes nothing."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.models import Case, HumanTask
from app.services import case_procedures
from app.services.case_clock import open_suspension

from .common import AUTH, commit, documented_errors, require_user, session

blp = Blueprint("procedures", __name__, description="Administrative procedures on a case")

TEXT = validate.Length(max=2000)


class SuspendRequest(Schema):
    reason_code = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={
            "description": "a configured reason: expert_review, hearing, testing, appraisal by default"
        },
    )
    note = fields.String(load_default="", validate=TEXT)


class ResumeRequest(Schema):
    note = fields.String(load_default="", validate=TEXT)


class ReasonRequest(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ExtensionRequest(Schema):
    working_days = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=365),
        metadata={"description": "days to add"},
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class SupervisionRequest(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    due = fields.Date(load_default=None, metadata={"description": "reply due by the end of this day"})


class RatingRequest(Schema):
    level = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=5),
        metadata={"description": "5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意"},
    )
    comment = fields.String(load_default="", validate=validate.Length(max=500))


class ReturnRequest(Schema):
    to = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "BPMN id of an earlier step the task declares returnable (`returnable_to`)"},
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ConsultRequest(Schema):
    users = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        load_default=list,
        validate=validate.Length(max=10),
        metadata={"description": "usernames of colleagues (any group) asked for an opinion"},
    )
    groups = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        load_default=list,
        validate=validate.Length(max=10),
        metadata={"description": "group slugs whose members may answer (one opinion task per group)"},
    )
    question = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    time_limit = fields.String(
        load_default=None,
        validate=validate.Length(max=20),
        metadata={"description": "each opinion's limit, e.g. `2wd` (the default), `3d`, `4h`"},
    )


class ProcedureResult(Schema):
    number = fields.String(required=True)
    status = fields.String(required=True)
    suspended = fields.Boolean(required=True)
    due_at = fields.DateTime(allow_none=True)
    task_id = fields.Integer(allow_none=True, metadata={"description": "the task the procedure opened"})


class ConsultResult(ProcedureResult):
    opinion_tasks = fields.List(
        fields.Integer(), required=True, metadata={"description": "the opinion tasks opened, one per asked"}
    )


def _result(case: Case, task: HumanTask | None = None) -> dict[str, Any]:
    return {
        "number": case.number,
        "status": case.status.value,
        "suspended": open_suspension(case) is not None,
        "due_at": case.due_at,
        "task_id": task.id if task is not None else None,
    }


@blp.route("/cases/<number>/suspend")
class CaseSuspend(MethodView):
    @blp.arguments(SuspendRequest)
    @blp.response(200, ProcedureResult)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 404, 409, 422)
    def post(self, body: dict[str, Any], number: str) -> dict[str, Any]:
        """挂起: stop the case's statutory clock for an excluded period (staff with a task on the case,
        their supervisors). The applicant is told; the status page shows the stop."""
        case = case_procedures.suspend_case(
            session(), require_user(), number, body["reason_code"], body["note"]
        )
        commit()
        return _result(case)


@blp.route("/cases/<number>/resume")
class CaseResume(MethodView):
    @blp.arguments(ResumeRequest)
    @blp.response(200, ProcedureResult)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 404, 409, 422)
    def post(self, body: dict[str, Any], number: str) -> dict[str, Any]:
        """恢复: run the suspended clock again; the due date moves by the working days it stood."""
        case = case_procedures.resume_case(session(), require_user(), number, body["note"])
        commit()
        return _result(case)


@blp.route("/cases/<number>/withdraw")
class CaseWithdraw(MethodView):
    @blp.arguments(ReasonRequest)
    @blp.response(200, ProcedureResult)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 404, 409, 422)
    def post(self, body: dict[str, Any], number: str) -> dict[str, Any]:
        """撤回: the applicant withdraws a case not yet decided (status `withdrawn`); again: 409."""
        case = case_procedures.withdraw_case(session(), require_user(), number, body["reason"])
        commit()
        return _result(case)


@blp.route("/cases/<number>/extension")
class CaseExtension(MethodView):
    @blp.arguments(ExtensionRequest)
    @blp.response(201, ProcedureResult)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 404, 409, 422)
    def post(self, body: dict[str, Any], number: str) -> dict[str, Any]:
        """延期: ask for more working days (once per case, at most the configured number); the
        group's supervisor approves or refuses it in a task."""
        user = require_user()
        outcome = case_procedures.request_extension(
            session(), user, number, body["working_days"], body["reason"]
        )
        commit()
        return _result(outcome.case, outcome.task)


@blp.route("/cases/<number>/urge")
class CaseUrge(MethodView):
    @blp.response(200, ProcedureResult)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 404, 409, 429)
    def post(self, number: str) -> dict[str, Any]:
        """催办: the applicant nudges the case once per working day, once a task is past its warning
        time (409 before; 429 again the same day). The assignee and their supervisor are told."""
        case = case_procedures.urge_case(session(), require_user(), number)
        commit()
        return _result(case)


@blp.route("/cases/<number>/supervision")
class CaseSupervision(MethodView):
    @blp.arguments(SupervisionRequest)
    @blp.response(201, ProcedureResult)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 404, 409, 422)
    def post(self, body: dict[str, Any], number: str) -> dict[str, Any]:
        """督办: a supervisor or leader orders the assignee of the case's most urgent task to reply
        by `due` (default: 1 working day); an overdue reply escalates like any task."""
        user = require_user()
        outcome = case_procedures.order_supervision(session(), user, number, body["text"], body["due"])
        commit()
        return _result(outcome.case, outcome.task)


@blp.route("/cases/<number>/rating")
class CaseRating(MethodView):
    @blp.arguments(RatingRequest)
    @blp.response(201, ProcedureResult)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 404, 409, 422)
    def post(self, body: dict[str, Any], number: str) -> dict[str, Any]:
        """好差评: the applicant rates a finished case once; levels 1–2 open a follow-up task for the
        supervisor of the deciding group (5 working days), whose reply the applicant sees."""
        outcome = case_procedures.rate_case(session(), require_user(), number, body["level"], body["comment"])
        commit()
        return _result(outcome.case, outcome.task)


@blp.route("/tasks/<int:task_id>/return")
class TaskReturn(MethodView):
    @blp.arguments(ReturnRequest)
    @blp.response(200, ProcedureResult)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 404, 409, 422)
    def post(self, body: dict[str, Any], task_id: int) -> dict[str, Any]:
        """退回: the assignee sends the case back to an earlier step that the task declares in its
        BPMN property `returnable_to`; that step reopens (`task_id` in the answer) with a new limit."""
        outcome = case_procedures.return_task(session(), require_user(), task_id, body["to"], body["reason"])
        commit()
        return _result(outcome.case, outcome.task)


@blp.route("/tasks/<int:task_id>/recall")
class TaskRecall(MethodView):
    @blp.response(200, ProcedureResult)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 404, 409)
    def post(self, task_id: int) -> dict[str, Any]:
        """Whoever completed the task takes the completion back while no next task is claimed or
        completed: the next tasks are cancelled and this one reopens."""
        outcome = case_procedures.recall_task(session(), require_user(), task_id)
        commit()
        return _result(outcome.case, outcome.task)


@blp.route("/tasks/<int:task_id>/consult")
class TaskConsult(MethodView):
    @blp.arguments(ConsultRequest)
    @blp.response(201, ConsultResult)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 404, 409, 422)
    def post(self, body: dict[str, Any], task_id: int) -> dict[str, Any]:
        """加签: the assignee asks colleagues or groups for an opinion; each gets an opinion task
        (`procedure` `consultation`) with its own limit, and this task cannot be completed until
        they answer or the request is withdrawn (`POST /tasks/{id}/consult/withdraw`)."""
        outcome = case_procedures.consult(
            session(),
            require_user(),
            task_id,
            body["question"],
            users=body["users"],
            groups=body["groups"],
            time_limit=body["time_limit"],
        )
        commit()
        return {**_result(outcome.case, outcome.task), "opinion_tasks": [t.id for t in outcome.opened]}


@blp.route("/tasks/<int:task_id>/consult/withdraw")
class TaskConsultWithdraw(MethodView):
    @blp.response(200, ProcedureResult)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 404, 409)
    def post(self, task_id: int) -> dict[str, Any]:
        """Withdraw the unanswered opinions asked from the task (加签); answered ones stay on the
        record and the task may be completed. Nothing waiting: 409."""
        outcome = case_procedures.withdraw_consultation(session(), require_user(), task_id)
        commit()
        return _result(outcome.case, outcome.task)
